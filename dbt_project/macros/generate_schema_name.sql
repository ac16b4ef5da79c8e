{# Schemas are the lake's layers (bronze, silver, gold_build, gold), the same on DuckDB and in Glue. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
