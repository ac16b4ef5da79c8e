{# The staging select of a positional layout's bronze table: one row per ``key``, the latest delivery
   winning (ingestion day, then file, then line). The columns are the layout's, read from the catalog
   (source_columns), so a field added to a layout needs no change in its staging model. #}
{% macro positional_latest_delivery(table_name, key) -%}
{%- set lineage = ['_source_file', '_source_line', 'ingestion_date'] %}
{%- set layout_columns = source_columns('positional', table_name, exclude=lineage) %}

with

source as (

    select * from {{ source('positional', table_name) }}

),

renamed as (

    select
        {{ layout_columns }},
        _source_file as source_file,
        _source_line as source_line,
        cast(ingestion_date as date) as ingestion_date
    from source

),

latest_delivery as (

    select
        *,
        row_number() over (
            partition by {{ key | join(', ') }}
            order by ingestion_date desc, source_file desc, source_line desc
        ) as delivery_rank
    from renamed

),

deduplicated as (

    select
        {{ layout_columns }},
        source_file,
        source_line,
        ingestion_date
    from latest_delivery
    where delivery_rank = 1

)

select * from deduplicated
{%- endmacro %}
