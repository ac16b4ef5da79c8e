-- Contracts and their plan, minus the BASICO ones. `plano` holds positions 11-15 of the contracts file:
-- five characters, so the sender's BASICO arrives cut to BASIC. Both spellings are excluded, whatever the
-- case or padding, so the filter holds if the sender ever widens the field. The select list is the
-- contract in _positional__marts.yml, generated from the layouts (contract_columns): a layout column added
-- there reaches gold without a change here.
with

contracts as (

    select * from {{ ref('stg_positional__contracts') }}

),

plans as (

    select * from {{ ref('stg_positional__plan_catalog') }}

),

not_basico as (

    select * from contracts
    where upper(trim(plano)) not in ('BASIC', 'BASICO')

),

joined as (

    -- Inner join: a contract whose plan is not in the catalog has no plan to show (the staging
    -- relationship test reports it as a warning).
    select
        {{ contract_columns([
            ['not_basico', 'positional', 'positional_contracts'],
            ['plans', 'positional', 'positional_plan_catalog'],
        ]) }}
    from not_basico
    inner join plans on not_basico.id_plano = plans.id_plano

)

select * from joined
