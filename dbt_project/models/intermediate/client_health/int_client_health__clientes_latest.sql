-- One row per CPF among the records that passed the quality checks: the latest data_cadastro wins.
-- Ties are broken by the later delivery, then by format (parquet, csv, json), then by position in the
-- file, so the same inputs always pick the same row. A latest-state table (macros/latest_state.sql): a
-- build reads only the records staging wrote in it (the days it processed) and the state of their CPFs'
-- key buckets. The partition column (key_bucket) comes last, as Athena requires for Hive tables.
{%- set columns = [
    'id', 'key_version', 'cpf', 'nome_completo', 'data_nascimento', 'sexo', 'pais', 'logradouro',
    'numero', 'bairro', 'cidade', 'estado', 'convenio', 'data_cadastro', 'source_format',
    'source_file', 'source_row', 'ingestion_date',
] %}
{%- set valid_records -%}
    select {{ columns | join(', ') }}, ingested_at
    from {{ ref('int_client_health__clientes_checked') }}
    where rejection_reason is null
{%- endset %}
{{ latest_state(
    delivered=valid_records ~ ' and dbt_build_id = ' ~ current_build_id(),
    history=valid_records,
    key=['cpf'],
    columns=columns + ['ingested_at'],
    order_by="data_cadastro desc, ingestion_date desc, ingested_at desc,"
        ~ " case source_format when 'parquet' then 1 when 'csv' then 2 else 3 end,"
        ~ " source_file desc, source_row desc",
) }}
