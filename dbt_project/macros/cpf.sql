{# CPF validity as pycpfcnpj defines it: '.', '-' and '/' are punctuation; what remains must be 11
   digits, not all the same, with both mod-11 check digits right. tests/client_health checks this
   macro against pycpfcnpj on 100,000 random inputs. #}

{% macro cpf_clean(expression) -%}
    replace(replace(replace({{ expression }}, '.', ''), '-', ''), '/', '')
{%- endmacro %}

{% macro _cpf_digit(digits, position) -%}
    cast(substr({{ digits }}, {{ position }}, 1) as integer)
{%- endmacro %}

{% macro _cpf_check_digit(digits, length) -%}
    (({% for position in range(1, length + 1) %}{{ _cpf_digit(digits, position) }} * {{ length + 2 - position }}{% if not loop.last %} + {% endif %}{% endfor %}) * 10 % 11 % 10)
{%- endmacro %}

{# ``original``: the CPF as delivered (trimmed); ``digits``: cpf_clean(original), usually a column
   computed once. Null when the CPF is valid, else the reason code. #}
{% macro cpf_rejection_reason(original, digits) -%}
    case
        when {{ original }} is null or trim({{ original }}) = '' then 'cpf:missing'
        when not {{ regexp_full_match(digits, '[0-9]*') }} then 'cpf:invalid_characters'
        when length({{ digits }}) != 11 then 'cpf:wrong_length'
        when replace({{ digits }}, substr({{ digits }}, 1, 1), '') = '' then 'cpf:repeated_digits'
        when {{ _cpf_check_digit(digits, 9) }} != {{ _cpf_digit(digits, 10) }}
            or {{ _cpf_check_digit(digits, 10) }} != {{ _cpf_digit(digits, 11) }} then 'cpf:wrong_check_digits'
    end
{%- endmacro %}

{% macro is_valid_cpf(original) -%}
    ({{ cpf_rejection_reason(original, cpf_clean(original)) }} is null)
{%- endmacro %}
