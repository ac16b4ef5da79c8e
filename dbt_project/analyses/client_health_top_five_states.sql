-- The five states with the most clients.
select
    estado,
    count(*) as clientes
from {{ ref('client_health') }}
group by estado
order by clientes desc, estado
limit 5
