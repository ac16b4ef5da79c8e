{# Letters without their diacritics ("São João" -> "Sao Joao"): decompose (NFD) and drop the combining
   marks. DuckDB's strip_accents does exactly that; Athena spells it out. Characters with no
   decomposition (ß, ø, ł) are kept by both. tests/client_health checks the two agree. #}
{% macro remove_accents(expression) -%}
    {{ return(adapter.dispatch('remove_accents')(expression)) }}
{%- endmacro %}

{% macro default__remove_accents(expression) -%}
    regexp_replace(normalize({{ expression }}, NFD), '\p{Mn}', '')
{%- endmacro %}

{% macro duckdb__remove_accents(expression) -%}
    strip_accents({{ expression }})
{%- endmacro %}
