-- Contracts signed per seller and month (Sao Paulo time), with their monthly value and what has been
-- paid on them. LGPD: nothing about the clients (no CPF, name or address); the seller is a partner
-- employee, named from the partner CSVs. Nulls defaulted as in the other gold tables: sold online is
-- seller 0. The partition columns come last, as Athena requires for Hive tables.
with

contratos as (

    select * from {{ ref('stg_aurora__contratos') }}

),

pagamentos as (

    select * from {{ ref('stg_aurora__pagamentos') }}

),

employees as (

    select * from {{ ref('stg_partner_csv__employees') }}

),

ranked_employees as (

    -- A seller is described by the partner's latest reference date for them.
    select
        id_funcionario,
        nome,
        ativo,
        row_number() over (
            partition by id_funcionario
            order by data_referencia desc, ingested_at desc
        ) as reference_rank
    from employees

),

sellers as (

    select id_funcionario, nome, ativo
    from ranked_employees
    where reference_rank = 1

),

paid_per_contract as (

    -- Aggregated before the join so a contract's bills do not multiply its monthly value.
    select
        numero_contrato,
        sum(valor_pago) as valor_pago
    from pagamentos
    group by numero_contrato

),

signed as (

    select
        coalesce(contratos.id_funcionario_vendedor, 0) as id_funcionario_vendedor,
        {{ local_time('contratos.assinado_em') }} as assinado_em_local,
        contratos.ativo,
        contratos.valor_mensal,
        coalesce(paid_per_contract.valor_pago, 0) as valor_pago
    from contratos
    left join paid_per_contract on contratos.numero_contrato = paid_per_contract.numero_contrato

),

dated as (

    select
        id_funcionario_vendedor,
        cast(extract(year from assinado_em_local) as integer) as ano,
        cast(extract(month from assinado_em_local) as integer) as mes,
        ativo,
        valor_mensal,
        valor_pago
    from signed

),

monthly as (

    select
        id_funcionario_vendedor,
        ano,
        mes,
        count(*) as contratos_assinados,
        sum(case when ativo then 1 else 0 end) as contratos_ativos,
        sum(valor_mensal) as valor_mensal_total,
        sum(valor_pago) as valor_pago_total
    from dated
    group by id_funcionario_vendedor, ano, mes

),

final as (

    select
        cast(monthly.id_funcionario_vendedor as bigint) as id_funcionario_vendedor,
        cast(
            case
                when monthly.id_funcionario_vendedor = 0 then 'ONLINE'
                else coalesce(sellers.nome, 'N/A')
            end as varchar
        ) as nome_vendedor,
        cast(sellers.ativo as boolean) as vendedor_ativo,
        cast(monthly.contratos_assinados as bigint) as contratos_assinados,
        cast(monthly.contratos_ativos as bigint) as contratos_ativos,
        cast(monthly.valor_mensal_total as decimal(18, 2)) as valor_mensal_total,
        cast(monthly.valor_pago_total as decimal(18, 2)) as valor_pago_total,
        monthly.ano,
        monthly.mes
    from monthly
    left join sellers on monthly.id_funcionario_vendedor = sellers.id_funcionario

)

select * from final
