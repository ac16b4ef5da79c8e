{# Incremental builds by ingestion date. The day being processed comes as the var `day` (YYYY-MM-DD,
   set by the `lakehouse` run: `--vars '{day: 2025-03-10}'`); without it, an incremental build takes the
   latest day already built and every later one, so a plain `dbt build` catches up. The filter is on the
   bronze Hive partition column, so both engines read only those days' files. #}

{% macro ingestion_days_filter(partition_column, built_column='ingestion_date') -%}
    {%- set day = var('day', none) -%}
    {%- if day is not none -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day | string) -%}
            {{ exceptions.raise_compiler_error("var day must be a date YYYY-MM-DD, got " ~ day) }}
        {%- endif -%}
        {{ partition_column }} = '{{ day }}'
    {%- else -%}
        cast({{ partition_column }} as date) >= (select coalesce(max({{ built_column }}), date '1970-01-01') from {{ this }})
    {%- endif -%}
{%- endmacro %}

{# The rows a build wrote carry its invocation id, so the marts downstream rebuild only the partitions
   the new rows touch. #}
{% macro current_build_id() -%}
    cast('{{ invocation_id }}' as varchar)
{%- endmacro %}
