{# The staging select of a positional layout's bronze table: one row per ``key``, the latest delivery
   winning (ingestion day, then file, then line), built incrementally as a latest-state table
   (macros/latest_state.sql): a build reads only the bronze partitions of the days it processes. The
   columns are the layout's, read from the catalog (source_columns), so a field added to a layout needs
   no change in its staging model. #}
{% macro positional_latest_delivery(table_name, key) -%}
{%- set lineage = ['_source_file', '_source_line', 'ingestion_date'] %}
{%- set layout_columns = source_column_names('positional', table_name, exclude=lineage) %}
{%- set deliveries -%}
    select
        {{ layout_columns | join(',\n        ') }},
        _source_file as source_file,
        _source_line as source_line,
        cast(ingestion_date as date) as ingestion_date
    from {{ source('positional', table_name) }}
{%- endset %}
{%- set columns = layout_columns + ['source_file', 'source_line', 'ingestion_date'] %}
{{ latest_state(
    delivered=deliveries ~ '\n    where ' ~ ingestion_days_filter('ingestion_date'),
    history=deliveries,
    key=key,
    columns=columns,
    order_by='ingestion_date desc, source_file desc, source_line desc',
) }}
{%- endmacro %}
