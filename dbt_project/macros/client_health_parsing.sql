{# How the three client formats write dates, times, names and sexes, parsed the same on both engines.
   A value that does not parse becomes null; staging keeps the original next to it so the quality
   step can tell "not given" from "not a date". Business times are Sao Paulo wall-clock times. #}

{# fmt: 'iso' (1985-05-20), 'br' (20/05/1985) or 'english' (May 20, 1985) #}
{% macro date_from_text(expression, fmt) -%}
    {{ return(adapter.dispatch('date_from_text')(expression, fmt)) }}
{%- endmacro %}

{% macro duckdb__date_from_text(expression, fmt) -%}
    {%- set formats = {'iso': '%Y-%m-%d', 'br': '%d/%m/%Y', 'english': '%B %d, %Y'} -%}
    cast(try_strptime({{ expression }}, '{{ formats[fmt] }}') as date)
{%- endmacro %}

{% macro default__date_from_text(expression, fmt) -%}
    {%- set formats = {'iso': '%Y-%m-%d', 'br': '%d/%m/%Y', 'english': '%M %e, %Y'} -%}
    cast(try(date_parse({{ expression }}, '{{ formats[fmt] }}')) as date)
{%- endmacro %}

{# ISO 8601 text with 'T' or a space, optional fraction; with a UTC offset it is converted to Sao Paulo time.
   Athena's from_iso8601_timestamp rejects a space separator (null under try), so it gets a 'T' first. #}
{% macro timestamp_from_iso(expression, zone='America/Sao_Paulo') -%}
    {{ return(adapter.dispatch('timestamp_from_iso')(expression, zone)) }}
{%- endmacro %}

{% macro duckdb__timestamp_from_iso(expression, zone) -%}
    case
        when regexp_matches({{ expression }}, '(Z|[+-][0-9]{2}:?[0-9]{2})$')
            then timezone('{{ zone }}', try_cast({{ expression }} as timestamptz))
        else try_cast({{ expression }} as timestamp)
    end
{%- endmacro %}

{% macro default__timestamp_from_iso(expression, zone) -%}
    case
        when regexp_like({{ expression }}, '(Z|[+-][0-9]{2}:?[0-9]{2})$')
            then cast(try(from_iso8601_timestamp(replace({{ expression }}, ' ', 'T'))) at time zone '{{ zone }}' as timestamp)
        else cast(try(from_iso8601_timestamp(replace({{ expression }}, ' ', 'T'))) as timestamp)
    end
{%- endmacro %}

{# Milliseconds since 1970-01-01 UTC -> Sao Paulo wall-clock time. #}
{% macro timestamp_from_epoch_millis(expression, zone='America/Sao_Paulo') -%}
    {{ return(adapter.dispatch('timestamp_from_epoch_millis')(expression, zone)) }}
{%- endmacro %}

{% macro duckdb__timestamp_from_epoch_millis(expression, zone) -%}
    timezone('{{ zone }}', make_timestamptz(cast({{ expression }} as bigint) * 1000))
{%- endmacro %}

{% macro default__timestamp_from_epoch_millis(expression, zone) -%}
    cast(from_unixtime(cast({{ expression }} as double) / 1000, '{{ zone }}') as timestamp)
{%- endmacro %}

{# Titles (Sr., Sra., Srta., Dr., Dra., any case) removed wherever they stand as a word, repeated and
   non-breaking spaces collapsed. Padding with spaces lets every title match with the space before it
   without a backreference, which the two regex engines write differently. The regular expressions
   run only on the few names that need them (a title has a dot; a double space or an odd blank). #}
{% macro clean_person_name(expression) -%}
    {%- set blank = '[\\s\\x{00A0}]' -%}
    {%- set without_titles -%}
        case
            when strpos({{ expression }}, '.') > 0
                then {{ regexp_replace_all("' ' || " ~ expression ~ " || ' '", blank ~ '(?i:srta|sra|sr|dra|dr)\\.', ' ') }}
            else {{ expression }}
        end
    {%- endset -%}
    nullif(trim(
        case
            when {{ regexp_matches_anywhere(without_titles, '\\s\\s|[\\t\\r\\n\\x{00A0}]') }}
                then {{ regexp_replace_all(without_titles, blank ~ '+', ' ') }}
            else {{ without_titles }}
        end
    ), '')
{%- endmacro %}

{# Fem/Masc (and F/M, Feminino/Masculino, any case) -> F/M; anything else -> null. #}
{% macro sex_code(expression) -%}
    case upper(trim({{ expression }}))
        when 'FEM' then 'F' when 'F' then 'F' when 'FEMININO' then 'F'
        when 'MASC' then 'M' when 'M' then 'M' when 'MASCULINO' then 'M'
    end
{%- endmacro %}

{# A DOUBLE as text, the same on both engines: Athena's cast(double as varchar) writes 1.23E2 where
   DuckDB writes 123.0. Through decimal(38, 10) both write 123.0000000000, trimmed here to 123.0
   (123.45 stays 123.45). The anchored patterns match once, so both regexp_replace dialects agree. #}
{% macro double_text(expression) -%}
    regexp_replace(regexp_replace(cast(cast({{ expression }} as decimal(38, 10)) as varchar), '0+$', ''), '\.$', '.0')
{%- endmacro %}
