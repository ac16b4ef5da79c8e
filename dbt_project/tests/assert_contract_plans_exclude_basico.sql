-- gold.contract_plans never holds a BASICO contract, however the five-character plano field spells it.
select numero_contrato, plano
from {{ ref('contract_plans') }}
where upper(trim(plano)) in ('BASIC', 'BASICO')
