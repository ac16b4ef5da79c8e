-- Incremental by ingestion date (macros/ingestion_days.sql): a build reads only the bronze partitions of
-- the days it processes and replaces those days' rows. The partition column comes last, as Athena
-- requires for Hive tables.
with

source as (

    select * from {{ source('client_health', 'clientes_json') }}
    {% if is_incremental() %}
        where {{ ingestion_days_filter('ingestion_date') }}
    {% endif %}

),

renamed as (

    select
        'json' as source_format,
        source_file,
        source_row,
        ingested_at,
        cpf as cpf_original,
        {{ cpf_clean('cpf') }} as cpf,
        id,
        key_version,
        {{ clean_person_name('nome') }} as nome_completo,
        data_nascimento as data_nascimento_original,
        {{ date_from_text('data_nascimento', 'english') }} as data_nascimento,
        cast(data_cadastro as varchar) as data_cadastro_original,
        {{ timestamp_from_epoch_millis('data_cadastro') }} as data_cadastro,
        sexo as sexo_original,
        {{ sex_code('sexo') }} as sexo,
        estado as estado_original,
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
