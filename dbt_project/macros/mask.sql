{# LGPD masking for gold: every run of letters and digits becomes one '*', punctuation and spaces stay
   ("Rua São João, 12-B" -> "* * *, *-*"). A masked value therefore contains no letter or digit at all
   (tested on every masked column) and does not even keep the length of words. Defaults ('N/A') are
   applied before masking, never after. #}
{% macro mask(expression) -%}
    {{ regexp_replace_all(expression, '[\\p{L}\\p{N}]+', '*') }}
{%- endmacro %}

{# A valid CPF masked the way Brazilian systems display a hidden one: the same for everybody. #}
{% macro masked_cpf() -%}
    '***.***.***-**'
{%- endmacro %}
