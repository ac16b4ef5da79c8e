with

source as (

    select * from {{ source('ingestion', 'manifests') }}

),

renamed as (

    select
        source as source_name,
        day as ingestion_day,
        file_id,
        key as source_file,
        etag,
        status,
        rows_read,
        rows_landed,
        rows_quarantined,
        reason as file_rejection_reason
    from source

)

select * from renamed
