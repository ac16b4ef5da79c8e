-- One row per claim, the latest delivery winning (a pending claim is later approved or denied).
{{ positional_latest_delivery('positional_claims', key=['id_sinistro']) }}
