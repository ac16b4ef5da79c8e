-- Clients by sex (F, M, N/A when unknown).
select
    sexo,
    count(*) as clientes
from {{ ref('client_health') }}
group by sexo
order by clientes desc, sexo
