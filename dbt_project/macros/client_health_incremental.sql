{# The incremental gold.client_health build (see the model): the clients whose records this build staged
   are "touched"; the build rebuilds the convenios they are in now and the ones the previous build had
   them in. A convenio whose every client moved away has no row left to write, so neither
   delete+insert (DuckDB) nor insert_overwrite (Athena) would replace it: the pre-hook removes the
   touched clients' previous rows first, per adapter. Nothing to do on a full build. #}

{% macro touched_client_ids() -%}
    select distinct id
    from {{ ref('int_client_health__clientes_checked') }}
    where dbt_build_id = {{ current_build_id() }} and rejection_reason is null
{%- endmacro %}

{% macro forget_touched_clients() -%}
    {{ return(adapter.dispatch('forget_touched_clients')()) }}
{%- endmacro %}

{# DuckDB: a row delete in the catalog table, inside the build's transaction. #}
{% macro duckdb__forget_touched_clients() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where id in ({{ touched_client_ids() }})
    {%- endif -%}
{%- endmacro %}

{# Athena: a Hive table has no row delete, so whole partitions go: those of gold_build.client_health
   whose every row is a touched client's (dbt-athena's clean_up_partitions deletes their S3 objects and
   their Glue partitions, as its insert_overwrite does for the partitions it rewrites). A convenio that
   still has a touched client now is rebuilt whole by the insert; one that also keeps an untouched
   client is not removed here and is rebuilt whole too (the model rebuilds where the previous build had
   the touched clients). Only gold_build is touched: the published gold.client_health reads copies in
   its own versioned location (core/athena_publication.py). If the build fails after this hook,
   gold_build lacks these partitions until the day is rebuilt: its rerun touches the same clients. #}
{% macro athena__forget_touched_clients() -%}
    {%- if execute and is_incremental() -%}
        {%- set emptied_query -%}
            select built.convenio
            from {{ this }} as built
            left join ({{ touched_client_ids() }}) as touched on built.id = touched.id
            group by built.convenio
            having count(touched.id) = count(*)
        {%- endset -%}
        {%- set emptied = run_query(emptied_query).columns[0].values() -%}
        {%- if emptied -%}
            {%- set conditions = [] -%}
            {%- for convenio in emptied -%}
                {%- do conditions.append("convenio = '" ~ (convenio | replace("'", "''")) ~ "'") -%}
            {%- endfor -%}
            {{ log('client_health: removing the partitions of convenios left by all their clients: ' ~ (emptied | join(', ')), info=true) }}
            {%- do adapter.clean_up_partitions(this, conditions) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__forget_touched_clients() -%}
{%- endmacro %}
