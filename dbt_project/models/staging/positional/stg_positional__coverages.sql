-- One row per plan and coverage, the latest delivery winning.
{{ positional_latest_delivery('positional_coverages', key=['id_plano', 'codigo_cobertura']) }}
