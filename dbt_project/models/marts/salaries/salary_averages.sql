-- Salary by age, active flag and reference month. salario_total and funcionarios are additive, so an
-- average over several groups is sum(salario_total) / sum(funcionarios), never avg(salario_medio).
-- Incremental: a build recomputes only the months (ano, mes partitions) that the staging rows it wrote
-- fall in, from every delivery of those months, and replaces those partitions; the others stay as
-- they are. The partition columns come last, as Athena requires for Hive tables.
with

employees as (

    select
        *,
        cast(extract(year from data_referencia) as integer) as ano,
        cast(extract(month from data_referencia) as integer) as mes
    from {{ ref('stg_partner_csv__employees') }}

),

{% if is_incremental() %}
touched_months as (

    select distinct ano, mes
    from employees
    where dbt_build_id = {{ current_build_id() }}

),

{% endif %}
months_to_build as (

    select employees.*
    from employees
    {% if is_incremental() %}
        inner join touched_months
            on employees.ano = touched_months.ano and employees.mes = touched_months.mes
    {% endif %}

),

latest as (

    -- The latest delivery of each employee and reference date (the month is part of that key).
    {{ latest_partner_deliveries('months_to_build', ['idade', 'ativo', 'ano', 'mes', 'salario']) }}

),

aggregated as (

    -- One row per partner, employee and reference date: the rows of a group are its employees.
    select
        idade,
        ativo,
        ano,
        mes,
        {{ average_rounded('salario', 2) }} as salario_medio,
        count(*) as funcionarios,
        sum(salario) as salario_total
    from latest
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
