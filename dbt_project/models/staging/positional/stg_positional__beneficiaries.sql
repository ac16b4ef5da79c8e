-- One row per beneficiary (card number), the latest delivery winning.
{{ positional_latest_delivery('positional_beneficiaries', key=['id_beneficiario']) }}
