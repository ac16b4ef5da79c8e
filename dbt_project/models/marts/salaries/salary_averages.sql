-- Salary by age, active flag and reference month. salario_total and funcionarios are additive, so an
-- average over several groups is sum(salario_total) / sum(funcionarios), never avg(salario_medio).
-- The partition columns come last, as Athena requires for Hive tables.
with

employees as (

    select * from {{ ref('stg_partner_csv__employees') }}

),

monthly as (

    select
        idade,
        ativo,
        cast(extract(year from data_referencia) as integer) as ano,
        cast(extract(month from data_referencia) as integer) as mes,
        salario
    from employees

),

aggregated as (

    -- One staging row per partner, employee and reference date: the rows of a group are its employees.
    select
        idade,
        ativo,
        ano,
        mes,
        {{ average_rounded('salario', 2) }} as salario_medio,
        count(*) as funcionarios,
        sum(salario) as salario_total
    from monthly
    group by idade, ativo, ano, mes

),

final as (

    select
        cast(idade as integer) as idade,
        ativo,
        cast(salario_medio as decimal(12, 2)) as salario_medio,
        cast(funcionarios as bigint) as funcionarios,
        cast(salario_total as decimal(18, 2)) as salario_total,
        ano,
        mes
    from aggregated

)

select * from final
