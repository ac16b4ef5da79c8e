-- salario_total and funcionarios are what analysts weight averages with: each group's average must be
-- its sum over its head count (to the half-cent rounding of salario_medio, plus floating-point slack),
-- or sum()/sum() over groups is wrong.
select
    idade,
    ativo,
    ano,
    mes,
    salario_medio,
    salario_total,
    funcionarios
from {{ ref('salary_averages') }}
where abs(salario_medio - salario_total / funcionarios) > 0.006
