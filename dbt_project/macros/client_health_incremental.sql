{# Pre-hook of the incremental gold.client_health build: on DuckDB, the rows of the clients whose records
   this build staged are deleted from the built table first, so a client who changed convenio leaves its
   old partition even when that partition is not rebuilt (delete+insert replaces only the partitions the
   build writes). Athena's Hive tables have no row delete: there, the model also rebuilds the client's
   old partition (see the model). Nothing to do on a full build. #}

{% macro forget_touched_clients() -%}
    {{ return(adapter.dispatch('forget_touched_clients')()) }}
{%- endmacro %}

{% macro duckdb__forget_touched_clients() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where id in (
            select id
            from {{ ref('int_client_health__clientes_checked') }}
            where dbt_build_id = {{ current_build_id() }} and rejection_reason is null
        )
    {%- endif -%}
{%- endmacro %}

{% macro default__forget_touched_clients() -%}
{%- endmacro %}
