-- Average salary of partner employees by reference month, weighted by head count across groups:
-- sum(salario_total) / sum(funcionarios), never avg(salario_medio).
select
    ano,
    mes,
    round(sum(salario_total) / sum(funcionarios), 2) as salario_medio,
    sum(funcionarios) as funcionarios
from {{ ref('salary_averages') }}
group by ano, mes
order by ano, mes
