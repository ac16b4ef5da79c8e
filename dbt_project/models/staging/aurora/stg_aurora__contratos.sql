-- Each extraction is a full snapshot of the source table: the latest one is the table as it is now.
-- Columns are listed from the catalog (source_columns), so one added at the source needs no change here.
with

source as (

    select * from {{ source('aurora', 'contratos') }}

),

latest_extraction as (

    select * from source
    where extraction_date = (select max(extraction_date) from source)

),

renamed as (

    select
        {{ source_columns('aurora', 'contratos', exclude=['extraction_date']) }},
        cast(extraction_date as date) as extraction_date
    from latest_extraction

)

select * from renamed
