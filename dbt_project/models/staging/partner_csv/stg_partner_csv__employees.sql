-- The partner rows of each delivery day, one per (partner, id_funcionario, data_referencia) within the
-- day: a later upload of the same day replaces an earlier one. Incremental by ingestion date: a build
-- reads only the bronze partitions of the days it processes and overwrites those days' rows
-- (ingestion_days_filter). The latest delivery across days is int_partner_csv__employees_latest.
-- The partition column comes last, as Athena requires for Hive tables.
{%- set lineage = partner_employee_columns() %}
{%- set silver_columns = lineage[:-1] + ['dbt_build_id', lineage[-1]] %}
with

source as (

    select * from {{ source('partner_csv', 'employees') }}
    {% if is_incremental() %}
        where {{ ingestion_days_filter('ingestion_date') }}
    {% endif %}

),

renamed as (

    select
        id_funcionario,
        nome,
        cpf,
        idade,
        ativo,
        salario,
        data_referencia,
        partner,
        source_file,
        source_line,
        ingested_at,
        {{ current_build_id() }} as dbt_build_id,
        cast(ingestion_date as date) as ingestion_date
    from source

),

latest_of_the_day as (

    -- Employee ids are each partner's own: two partners may both have an employee 1, and both are kept.
    {{ latest_partner_deliveries('renamed', silver_columns, per_ingestion_day=true) }}

)

select * from latest_of_the_day
