with

source as (

    select * from {{ source('client_health', 'clientes_parquet') }}

),

renamed as (

    select
        'parquet' as source_format,
        source_file,
        source_row,
        cast(ingestion_date as date) as ingestion_date,
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
        convenio
    from source

)

select * from renamed
