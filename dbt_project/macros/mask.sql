{# LGPD masking for gold: every letter and digit becomes '*', punctuation and length stay. A masked
   value therefore contains no letter or digit at all (tested on every masked column). Defaults
   ('N/A') are applied before masking, never after. #}
{% macro mask(expression) -%}
    {{ regexp_replace_all(expression, '[\\p{L}\\p{N}]', '*') }}
{%- endmacro %}
