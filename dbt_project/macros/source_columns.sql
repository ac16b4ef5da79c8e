{# The columns of source ``source_name.table_name`` as a select list, minus ``exclude`` (case-insensitive).
   They are read from the catalog when the model compiles, so a column added at the source reaches
   staging without a model change; DuckDB's `* exclude (...)` would do the same, but Athena has no
   EXCLUDE. A table the catalog does not know yet (Glue before the first extraction) falls back to the
   columns the sources yml declares, so the model still compiles to the same select. #}
{% macro source_columns(source_name, table_name, exclude=[]) -%}
    {{ return(source_column_names(source_name, table_name, exclude) | join(',\n        ')) }}
{%- endmacro %}

{# The same columns as a list of quoted names (['*'] at parse time). #}
{% macro source_column_names(source_name, table_name, exclude=[]) -%}
    {%- if not execute -%}
        {{ return(['*']) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(source(source_name, table_name)) -%}
        {%- do names.append(column.name) -%}
    {%- endfor -%}
    {%- if not names -%}
        {%- set declared = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
        {%- for name in declared.columns -%}
            {%- do names.append(name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set excluded = exclude | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- for name in names if name | lower not in excluded -%}
        {%- do kept.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {%- if not kept -%}
        {{ exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ " has no columns in the catalog and none declared") }}
    {%- endif -%}
    {{ return(kept) }}
{%- endmacro %}
