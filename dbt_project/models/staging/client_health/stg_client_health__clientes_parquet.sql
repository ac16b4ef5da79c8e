-- Incremental by ingestion date (macros/ingestion_days.sql): a build reads only the bronze partitions of
-- the days it processes and replaces those days' rows. The partition column comes last, as Athena
-- requires for Hive tables.
with

source as (

    select * from {{ source('client_health', 'clientes_parquet') }}
    {% if is_incremental() %}
        where {{ ingestion_days_filter('ingestion_date') }}
    {% endif %}

),

renamed as (

    select
        'parquet' as source_format,
        source_file,
        source_row,
        ingested_at,
        documento_cpf as cpf_original,
        {{ cpf_clean('documento_cpf') }} as cpf,
        id,
        key_version,
        {{ clean_person_name('nome_completo') }} as nome_completo,
        data_nascimento as data_nascimento_original,
        {{ date_from_text('data_nascimento', 'iso') }} as data_nascimento,
        data_cadastro as data_cadastro_original,
        {{ timestamp_from_iso('data_cadastro') }} as data_cadastro,
        sexo as sexo_original,
        {{ sex_code('sexo') }} as sexo,
        uf as estado_original,
        pais,
        logradouro,
        cast(numero as varchar) as numero_original,
        cast(numero as integer) as numero,
        bairro,
        cidade,
        convenio,
        {{ current_build_id() }} as dbt_build_id,
        cast(ingestion_date as date) as ingestion_date
    from source

)

select * from renamed
