{# An instant as the wall-clock time of ``zone`` (a timestamp without time zone), so that days and months
   are the business's on both engines. The instant is a TIMESTAMPTZ on DuckDB and a UTC timestamp on
   Athena (Glue has no time-zone type; Athena sessions are in UTC). #}
{% macro local_time(instant, zone='America/Sao_Paulo') -%}
    {{ return(adapter.dispatch('local_time')(instant, zone)) }}
{%- endmacro %}

{% macro duckdb__local_time(instant, zone) -%}
    timezone('{{ zone }}', {{ instant }})
{%- endmacro %}

{% macro default__local_time(instant, zone) -%}
    cast({{ instant }} at time zone '{{ zone }}' as timestamp)
{%- endmacro %}
