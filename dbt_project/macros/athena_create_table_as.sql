{# Athena's CTAS stores partition columns last, in partitioned_by order, and refuses a select list that
   does not end with them (HIVE_COLUMN_ORDER_MISMATCH). A contracted model lists its columns in the
   analysts' order (the contract check ignores order), so on Athena the select is wrapped to put the
   partition columns last; the rest of the CTAS is dbt-athena's own. #}
{% macro athena__create_table_as(temporary, relation, compiled_code, language='sql', skip_partitioning=false) -%}
    {%- set partitioned_by = config.get('partitioned_by', default=none) if not skip_partitioning else none -%}
    {%- set declared = model.columns.keys() | list if model is defined and model.columns else [] -%}
    {%- if language == 'sql' and partitioned_by and declared -%}
        {%- set keys = partitioned_by | map('lower') | list -%}
        {%- set ordered = (declared | map('lower') | reject('in', keys) | list) + keys -%}
        {%- set compiled_code -%}
            select {{ ordered | join(', ') }} from (
                {{ compiled_code }}
            )
        {%- endset -%}
    {%- endif -%}
    {{ return(dbt.athena__create_table_as(temporary, relation, compiled_code, language, skip_partitioning)) }}
{%- endmacro %}
