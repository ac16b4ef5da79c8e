-- One row per (partner, id_funcionario, data_referencia) across every delivery day: the latest delivery
-- wins (ingestion day, then ingestion time, then file, then line). Employee ids are each partner's own.
with

employees as (

    select * from {{ ref('stg_partner_csv__employees') }}

),

ranked as (

    select
        *,
        {{ partner_delivery_rank() }} as delivery_rank
    from employees

),

latest as (

    select
        id_funcionario,
        nome,
        cpf,
        idade,
        ativo,
        salario,
        data_referencia,
        partner,
        source_file,
        source_line,
        ingested_at,
        ingestion_date
    from ranked
    where delivery_rank = 1

)

select * from latest
