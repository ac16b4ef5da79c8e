-- One row per accredited provider, the latest delivery winning.
{{ positional_latest_delivery('positional_providers', key=['id_prestador']) }}
