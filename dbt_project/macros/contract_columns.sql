{# The select list of a model with an enforced contract, taken from the contract itself: each declared
   column, cast to its declared type, from the first of ``relations`` whose source declares it.
   ``relations`` is a list of [alias, source_name, table_name]. A model whose contract is generated (the
   positional layouts) then needs no column list of its own. #}
{% macro contract_columns(relations) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set selected = [] -%}
    {%- for column in model.columns.values() -%}
        {%- set found = namespace(alias=none) -%}
        {%- for alias, source_name, table_name in relations if found.alias is none -%}
            {%- set declared = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name].columns -%}
            {%- if column.name in declared -%}
                {%- set found.alias = alias -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if found.alias is none -%}
            {{ exceptions.raise_compiler_error("contract column " ~ column.name ~ " of " ~ model.name ~ " is in none of the sources " ~ relations) }}
        {%- endif -%}
        {%- do selected.append('cast(' ~ found.alias ~ '.' ~ adapter.quote(column.name) ~ ' as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- if not selected -%}
        {{ exceptions.raise_compiler_error(model.name ~ " declares no contract columns") }}
    {%- endif -%}
    {{ return(selected | join(',\n        ')) }}
{%- endmacro %}
