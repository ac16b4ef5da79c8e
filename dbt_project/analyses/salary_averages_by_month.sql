-- Average salary of partner employees by reference month (weighted by head count across groups).
select
    ano,
    mes,
    round(sum(salario_medio * funcionarios) / sum(funcionarios), 2) as salario_medio,
    sum(funcionarios) as funcionarios
from {{ ref('salary_averages') }}
group by ano, mes
order by ano, mes
