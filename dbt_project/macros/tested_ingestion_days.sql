{# Tests on incremental models and their bronze sources check the days the build processed, not the
   whole history: a test's `where` config names a placeholder, replaced here (dbt's documented way to
   template a test's `where` with a macro):
   - __ingestion_day_partition__: the bronze Hive partition of the day (ingestion_date = 'YYYY-MM-DD',
     the partition value, a string), so Athena reads only that partition;
   - __ingestion_day__: the rows of the day in a silver model (ingestion_date = date 'YYYY-MM-DD').
   Without the `day` var (a catch-up or full-refresh build processes every day), they test everything. #}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set day = var('day', none) -%}
        {%- set where = where
            | replace('__ingestion_day_partition__', "ingestion_date = '" ~ day ~ "'" if day else '1 = 1')
            | replace('__ingestion_day__', "ingestion_date = date '" ~ day ~ "'" if day else '1 = 1') -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
