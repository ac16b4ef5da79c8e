-- One row per contract, the latest delivery winning; the columns are the contracts layout's.
{{ positional_latest_delivery('positional_contracts', key=['numero_contrato']) }}
