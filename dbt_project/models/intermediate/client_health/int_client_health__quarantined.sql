-- Client records that failed a quality check, with the reason, as delivered (silver: raw values).
-- The run exports each day's rows to quarantine/client_health/<day>/quality/ and counts them in the report.
-- Incremental by ingestion date: a record's checks look at that record alone, so a build writes only the
-- rows staging wrote in it (the days it processed) and replaces those days. Partition column last.
with

checked as (

    select * from {{ ref('int_client_health__clientes_checked') }}

),

quarantined as (

    select
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
        numero_original,
        ingestion_date
    from checked
    where rejection_reason is not null
    {% if is_incremental() %}
        and dbt_build_id = {{ current_build_id() }}
    {% endif %}

)

select * from quarantined
