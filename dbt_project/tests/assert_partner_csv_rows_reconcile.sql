-- Nothing is lost: for every partner file, rows read = rows landed + rows quarantined, and the
-- bronze and quarantine tables hold exactly the rows the manifest says.
with

manifests as (

    select * from {{ ref('stg_ingestion__manifests') }}
    where source_name = 'partner_csv'

),

landed as (

    select source_file, count(*) as landed_rows
    from {{ source('partner_csv', 'employees') }}
    group by source_file

),

quarantined as (

    select source_file, count(*) as quarantined_rows
    from {{ source('ingestion', 'partner_csv_quarantine') }}
    group by source_file

)

select
    manifests.source_file,
    manifests.rows_read,
    manifests.rows_landed,
    manifests.rows_quarantined,
    coalesce(landed.landed_rows, 0) as bronze_rows,
    coalesce(quarantined.quarantined_rows, 0) as quarantine_rows
from manifests
left join landed on manifests.source_file = landed.source_file
left join quarantined on manifests.source_file = quarantined.source_file
where manifests.rows_read != manifests.rows_landed + manifests.rows_quarantined
    or (
        manifests.status = 'landed'
        and (
            coalesce(landed.landed_rows, 0) != manifests.rows_landed
            or coalesce(quarantined.quarantined_rows, 0) != manifests.rows_quarantined
        )
    )
