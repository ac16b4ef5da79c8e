{# Nothing is lost between the source database and bronze: every landed extraction of ``table_name``
   (per its manifest) has exactly the rows the manifest counted. A failed extraction publishes nothing,
   so only landed manifests are compared. #}
{% test extraction_rows_match_manifests(model, table_name) %}
    with

    manifests as (
        select day, rows_landed
        from {{ source('ingestion', 'manifests') }}
        where source = 'aurora' and status = 'landed' and file_id = '{{ table_name }}'
    ),

    landed as (
        select extraction_date, count(*) as bronze_rows
        from {{ model }}
        group by extraction_date
    )

    select manifests.day, manifests.rows_landed, landed.bronze_rows
    from manifests
    left join landed on manifests.day = landed.extraction_date
    where landed.bronze_rows is null or landed.bronze_rows != manifests.rows_landed
{% endtest %}
