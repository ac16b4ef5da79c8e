{# Generic tests of the client-health slice. Each returns the offending rows. #}

{% test row_count_equals(model, expected) %}
    select count(*) as actual_rows
    from {{ model }}
    having count(*) != {{ expected }}
{% endtest %}

{# LGPD: a masked column may hold punctuation only. #}
{% test no_letters_or_digits(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ regexp_replace_all(column_name, '[^\\p{L}\\p{N}]', '') }} != ''
{% endtest %}

{% test matches_pattern(model, column_name, pattern) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null and not {{ regexp_full_match(column_name, pattern) }}
{% endtest %}

{% test no_accents(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} != {{ remove_accents(column_name) }}
{% endtest %}

{% test valid_cpf(model, column_name) %}
    with

    cleaned as (
        select {{ column_name }} as original, {{ cpf_clean(column_name) }} as digits
        from {{ model }}
    ),

    numbered as (
        select original, digits, {{ cpf_number('digits') }} as number
        from cleaned
    )

    select original
    from numbered
    where {{ cpf_rejection_reason('original', 'digits', 'number') }} is not null
{% endtest %}

{# Nothing is lost between the Glue job and bronze: per landed file named ``file_name``, the bronze rows
   are exactly the rows its manifest says landed, and every bronze row comes from a landed file. #}
{% test rows_match_manifests(model, source_name, file_name) %}
    with

    manifests as (
        select key, rows_landed
        from {{ source('ingestion', 'manifests') }}
        where source = '{{ source_name }}' and status = 'landed' and key like '%/{{ file_name }}'
    ),

    landed as (
        select source_file, count(*) as bronze_rows
        from {{ model }}
        group by source_file
    )

    select coalesce(manifests.key, landed.source_file) as file, landed.bronze_rows, manifests.rows_landed
    from manifests
    full outer join landed on manifests.key = landed.source_file
    where manifests.rows_landed is null
        or landed.bronze_rows is null
        or manifests.rows_landed != landed.bronze_rows
{% endtest %}

{# Client ids made with two keys never match: after a key rotation every day must be landed again with
   the new key (a full refresh), or one client would carry two ids. Returns the versions when several. #}
{% test one_value(model, column_name) %}
    select {{ column_name }}, count(*) as rows_with_it
    from {{ model }}
    where (select count(distinct {{ column_name }}) from {{ model }}) > 1
    group by {{ column_name }}
{% endtest %}
