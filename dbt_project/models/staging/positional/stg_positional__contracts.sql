-- One row per contract: the latest delivery wins (ingestion day, then file, then line). The columns are
-- the layout's, read from the catalog (source_columns), so a field added to the layout needs no change here.
{%- set lineage = ['_source_file', '_source_line', 'ingestion_date'] %}
{%- set layout_columns = source_columns('positional', 'positional_contracts', exclude=lineage) %}

with

source as (

    select * from {{ source('positional', 'positional_contracts') }}

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
            partition by numero_contrato
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
