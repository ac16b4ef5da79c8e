-- Clients per health plan, public health system (SUS) excluded.
select
    convenio,
    count(*) as clientes
from {{ ref('client_health') }}
where convenio != 'SUS'
group by convenio
order by clientes desc, convenio
