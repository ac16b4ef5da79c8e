{# Portable SQL for the client-health macros. Regular expressions behave the same on DuckDB (RE2) and
   Athena: DuckDB replaces only the first match unless asked for all ('g'), Athena always replaces
   all; DuckDB has no regexp_like. Patterns passed here use the syntax both engines share (classes,
   \p{..}, (?i:..), no backreferences). #}

{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expression, pattern) -%}
    regexp_like({{ expression }}, '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro regexp_matches_anywhere(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches_anywhere')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches_anywhere(expression, pattern) -%}
    regexp_like({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_matches_anywhere(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{# Integer division of integers: DuckDB's / always returns a DOUBLE, Athena's / truncates integers. #}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    ({{ dividend }} / {{ divisor }})
{%- endmacro %}

{% macro duckdb__integer_divide(dividend, divisor) -%}
    ({{ dividend }} // {{ divisor }})
{%- endmacro %}
