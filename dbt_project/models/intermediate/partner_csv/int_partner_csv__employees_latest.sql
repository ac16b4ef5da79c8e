-- One row per (partner, id_funcionario, data_referencia) across every delivery day: the latest delivery
-- wins (ingestion day, then ingestion time, then file, then line). Employee ids are each partner's own.
with

employees as (

    select * from {{ ref('stg_partner_csv__employees') }}

),

latest as (

    {{ latest_partner_deliveries('employees', partner_employee_columns()) }}

)

select * from latest
