-- One row per plan, the latest catalog delivery winning, so a plan dropped from a later catalog keeps
-- its last known name and monthly value.
{{ positional_latest_delivery('positional_plan_catalog', key=['id_plano']) }}
