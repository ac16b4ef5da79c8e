{# A client's id: a UUID (RFC 9562 version 8) made from HMAC-SHA256(key, CPF). The same CPF and key give
   the same id on every run; without the key, kept outside the lake, the id reveals nothing about the
   CPF (a plain hash of an 11-digit CPF could be reversed by trying all of them).

   DuckDB: hmac_sha256_hex(value) is registered by the dbt-duckdb plugin
   ingestion.client_health.duckdb_plugin with the key from DBT_ENV_SECRET_PSEUDONYM_KEY (profiles.yml);
   the key never appears in SQL. Athena: the built-in hmac_sha256, with the key passed by the runner as
   the var DBT_ENV_SECRET_PSEUDONYM_KEY (dbt scrubs DBT_ENV_SECRET_* values from logs and artifacts). #}

{% macro pseudonym_hmac_hex(expression) -%}
    {{ return(adapter.dispatch('pseudonym_hmac_hex')(expression)) }}
{%- endmacro %}

{% macro duckdb__pseudonym_hmac_hex(expression) -%}
    hmac_sha256_hex({{ expression }})
{%- endmacro %}

{% macro default__pseudonym_hmac_hex(expression) -%}
    {%- set key = var('DBT_ENV_SECRET_PSEUDONYM_KEY', none) -%}
    {%- if key is none and execute and flags.WHICH in ['run', 'build'] -%}
        {{ exceptions.raise_compiler_error("the pseudonym key is not set: pass it as the var DBT_ENV_SECRET_PSEUDONYM_KEY") }}
    {%- endif -%}
    lower(to_hex(hmac_sha256(to_utf8({{ expression }}), to_utf8('{{ (key or "") | replace("'", "''") }}'))))
{%- endmacro %}

{# 32 lower-case hex digits -> 8-4-4-4-12 with the version nibble set to 8 and the variant bits to 10. #}
{% macro uuid_from_hex(hex) -%}
    substr({{ hex }}, 1, 8) || '-' || substr({{ hex }}, 9, 4) || '-8' || substr({{ hex }}, 14, 3) || '-'
    || substr('89ab89ab89ab89ab', strpos('0123456789abcdef', substr({{ hex }}, 17, 1)), 1)
    || substr({{ hex }}, 18, 3) || '-' || substr({{ hex }}, 21, 12)
{%- endmacro %}
