-- Clients registered per year since 2021 (by the registration of each client's latest record).
select
    cast(extract(year from data_cadastro) as integer) as ano,
    count(*) as clientes
from {{ ref('client_health') }}
where data_cadastro >= timestamp '2021-01-01 00:00:00'
group by 1
order by ano
