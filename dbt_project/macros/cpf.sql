{# CPF validity as pycpfcnpj defines it: '.', '-' and '/' are punctuation; what remains must be 11
   digits, not all the same, with both mod-11 check digits right. tests/client_health checks this
   macro against pycpfcnpj on 100,000 random inputs. #}

{% macro cpf_clean(expression) -%}
    replace(replace(replace({{ expression }}, '.', ''), '-', ''), '/', '')
{%- endmacro %}

{# Digits by integer arithmetic on the 11-digit number: far cheaper than 11 substrings cast one by one. #}
{% macro _cpf_digit(number, position) -%}
    ({{ integer_divide(number, 10 ** (11 - position)) }} % 10)
{%- endmacro %}

{% macro _cpf_check_digit(number, length) -%}
    (({% for position in range(1, length + 1) %}{{ _cpf_digit(number, position) }} * {{ length + 2 - position }}{% if not loop.last %} + {% endif %}{% endfor %}) * 10 % 11 % 10)
{%- endmacro %}

{# The CPF as a number when it is 11 ASCII digits, else null; computed once per row (a column), the
   check digits below are integer arithmetic on it. #}
{% macro cpf_number(digits) -%}
    case when {{ regexp_full_match(digits, '[0-9]{11}') }} then cast({{ digits }} as bigint) end
{%- endmacro %}

{# ``original``: the CPF as delivered (trimmed); ``digits``: cpf_clean(original); ``number``:
   cpf_number(digits). Pass columns: each is used several times. Null when the CPF is valid, else the
   reason code. #}
{% macro cpf_rejection_reason(original, digits, number) -%}
    case
        when {{ original }} is null or trim({{ original }}) = '' then 'cpf:missing'
        when not {{ regexp_full_match(digits, '[0-9]*') }} then 'cpf:invalid_characters'
        when length({{ digits }}) != 11 then 'cpf:wrong_length'
        when {{ number }} % 11111111111 = 0 then 'cpf:repeated_digits'
        when {{ _cpf_check_digit(number, 9) }} != {{ _cpf_digit(number, 10) }}
            or {{ _cpf_check_digit(number, 10) }} != {{ _cpf_digit(number, 11) }} then 'cpf:wrong_check_digits'
    end
{%- endmacro %}

{% macro is_valid_cpf(original) -%}
    {%- set digits = cpf_clean(original) -%}
    ({{ cpf_rejection_reason(original, digits, cpf_number(digits)) }} is null)
{%- endmacro %}
