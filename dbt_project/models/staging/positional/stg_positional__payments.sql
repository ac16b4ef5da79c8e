-- One row per payment, the latest delivery winning.
{{ positional_latest_delivery('positional_payments', key=['id_pagamento']) }}
