-- The analysts' client table (LGPD): one row per client, accents removed, nulls defaulted, CPF and
-- address masked, a keyed pseudonymous id in place of the CPF. The id comes from bronze, where the
-- client-files Glue job (the only holder of the key) wrote it: no key reaches SQL. The partition column
-- comes last, as Athena requires for Hive tables.
with

latest as (

    select * from {{ ref('int_client_health__clientes_latest') }}

),

defaulted as (

    select
        id,
        coalesce(nome_completo, 'N/A') as nome_completo,
        coalesce(data_nascimento, date '1970-01-01') as data_nascimento,
        coalesce(sexo, 'N/A') as sexo,
        coalesce(logradouro, 'N/A') as logradouro,
        coalesce(numero, 0) as numero,
        coalesce(bairro, 'N/A') as bairro,
        coalesce(cidade, 'N/A') as cidade,
        estado,
        coalesce(data_cadastro, timestamp '1970-01-01 00:00:00') as data_cadastro,
        coalesce(convenio, 'N/A') as convenio
    from latest

),

final as (

    select
        cast(id as varchar) as id,
        cast({{ masked_cpf() }} as varchar) as cpf,
        cast({{ remove_accents('nome_completo') }} as varchar) as nome_completo,
        cast(data_nascimento as date) as data_nascimento,
        cast(sexo as varchar) as sexo,
        cast({{ mask(remove_accents('logradouro')) }} as varchar) as logradouro,
        cast(numero as integer) as numero,
        cast({{ mask(remove_accents('bairro')) }} as varchar) as bairro,
        cast({{ mask(remove_accents('cidade')) }} as varchar) as cidade,
        cast(estado as varchar) as estado,
        cast(data_cadastro as timestamp) as data_cadastro,
        cast({{ remove_accents('convenio') }} as varchar) as convenio
    from defaulted

)

select * from final
