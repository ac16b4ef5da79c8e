-- Client records that failed a quality check, with the reason, as delivered (silver: raw values).
-- The run exports each day's rows to quarantine/client_health/<day>/quality/ and counts them in the report.
with

checked as (

    select * from {{ ref('int_client_health__clientes_checked') }}

),

quarantined as (

    select
        ingestion_date,
        source_format,
        source_file,
        source_row,
        rejection_reason,
        cpf_original,
        nome_completo,
        data_nascimento_original,
        data_cadastro_original,
        sexo_original,
        estado_original,
        numero_original
    from checked
    where rejection_reason is not null

)

select * from quarantined
