-- The analysts' client table (LGPD): one row per client, accents removed, nulls defaulted, CPF and
-- address masked, a keyed pseudonymous id in place of the CPF. The id comes from bronze, where the
-- client-files Glue job (the only holder of the key) wrote it: no key reaches SQL. The partition column
-- comes last, as Athena requires for Hive tables.
-- Incremental: a build rebuilds only the convenios (partitions) its new records touch: where the clients
-- of those records are now, and where the previous build had them (a client may change plan). The
-- other partitions are not rewritten. A convenio whose last client moves away has no row to write, so
-- the pre-hook (macros/client_health_incremental.sql) removes the touched clients' previous rows first:
-- on DuckDB by a row delete, on Athena by removing the gold_build partitions that hold touched clients
-- only (insert_overwrite then rewrites the rest). No stale row remains on either engine.
-- depends_on: {{ ref('int_client_health__clientes_checked') }}
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

),

{% if is_incremental() %}
touched_clients as (

    {{ touched_client_ids() }}

),

touched_convenios as (

    select final.convenio
    from final
    inner join touched_clients on final.id = touched_clients.id
    union
    select built.convenio
    from {{ this }} as built
    inner join touched_clients on built.id = touched_clients.id

),

{% endif %}
rebuilt as (

    select final.*
    from final
    {% if is_incremental() %}
        where final.convenio in (select touched_convenios.convenio from touched_convenios)
    {% endif %}

)

select * from rebuilt
