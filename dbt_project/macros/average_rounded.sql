{# Exact average rounded half-up to `scale` places. DuckDB's avg() over DECIMAL returns DOUBLE, so it
   goes through integer arithmetic; Athena's avg() over DECIMAL is exact already. Non-negative inputs. #}
{% macro average_rounded(column, scale=2) -%}
    {{ return(adapter.dispatch('average_rounded')(column, scale)) }}
{%- endmacro %}

{% macro default__average_rounded(column, scale) -%}
    cast(round(avg({{ column }}), {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}

{% macro duckdb__average_rounded(column, scale) -%}
    {%- set factor = 10 ** scale -%}
    cast(
        cast(
            (2 * sum(cast({{ column }} * {{ factor }} as hugeint)) + count({{ column }}))
            // (2 * count({{ column }})) as decimal(18, 0)
        ) * 0.{{ '0' * (scale - 1) }}1 as decimal(18, {{ scale }})
    )
{%- endmacro %}
