{{ config(partitioned_by=['ano', 'mes']) }}

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
        id_funcionario,
        salario
    from employees

),

averaged as (

    select
        idade,
        ativo,
        ano,
        mes,
        {{ average_rounded('salario', 2) }} as salario_medio,
        count(distinct id_funcionario) as funcionarios
    from monthly
    group by idade, ativo, ano, mes

),

final as (

    select
        cast(idade as integer) as idade,
        ativo,
        ano,
        mes,
        cast(salario_medio as decimal(12, 2)) as salario_medio,
        cast(funcionarios as bigint) as funcionarios
    from averaged

)

select * from final
