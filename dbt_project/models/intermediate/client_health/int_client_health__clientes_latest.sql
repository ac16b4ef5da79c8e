-- One row per CPF among the records that passed the quality checks: the latest data_cadastro wins.
-- Ties are broken by the later delivery, then by format (parquet, csv, json), then by position in the
-- file, so the same inputs always pick the same row.
with

checked as (

    select * from {{ ref('int_client_health__clientes_checked') }}
    where rejection_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by cpf
            order by
                data_cadastro desc,
                ingestion_date desc,
                ingested_at desc,
                case source_format when 'parquet' then 1 when 'csv' then 2 else 3 end,
                source_file desc,
                source_row desc
        ) as recency_rank
    from checked

),

latest as (

    select
        id,
        key_version,
        cpf,
        nome_completo,
        data_nascimento,
        sexo,
        pais,
        logradouro,
        numero,
        bairro,
        cidade,
        estado,
        convenio,
        data_cadastro,
        source_format,
        source_file,
        source_row,
        ingestion_date
    from ranked
    where recency_rank = 1

)

select * from latest
