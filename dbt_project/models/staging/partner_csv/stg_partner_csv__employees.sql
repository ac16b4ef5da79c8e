with

source as (

    select * from {{ source('partner_csv', 'employees') }}

),

renamed as (

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
    from source

),

latest_delivery as (

    -- A later upload of the same employee and reference date replaces the earlier one. Employee ids
    -- are the partner's own: two partners may both have an employee 1, and both are kept.
    select
        *,
        row_number() over (
            partition by partner, id_funcionario, data_referencia
            order by ingested_at desc, ingestion_date desc, source_file desc, source_line desc
        ) as delivery_rank
    from renamed

),

deduplicated as (

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
        ingested_at
    from latest_delivery
    where delivery_rank = 1

)

select * from deduplicated
