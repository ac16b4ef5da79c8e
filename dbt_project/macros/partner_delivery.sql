{# The partner employee rows of `rows` (a relation or CTE) with one row kept per (partner,
   id_funcionario, data_referencia): the latest delivery wins (ingestion day, then ingestion time, then
   file, then line). `per_ingestion_day`: one row per key and ingestion day instead (the day's latest
   upload), as staging keeps them. `columns`: what to select, in order. The one definition of "the latest
   delivery" for staging, int_partner_csv__employees_latest and salary_averages (which ranks only the
   months it rebuilds). #}
{% macro latest_partner_deliveries(rows, columns, per_ingestion_day=false) -%}
    select {{ columns | join(', ') }}
    from (
        select
            *,
            row_number() over (
                partition by partner, id_funcionario, data_referencia{{ ', ingestion_date' if per_ingestion_day }}
                order by ingestion_date desc, ingested_at desc, source_file desc, source_line desc
            ) as delivery_rank
        from {{ rows }}
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}

{# The columns of a partner employee row in silver, lineage last and the ingestion day (the Hive
   partition on Athena) at the very end. #}
{% macro partner_employee_columns() -%}
    {{ return([
        'id_funcionario', 'nome', 'cpf', 'idade', 'ativo', 'salario', 'data_referencia',
        'partner', 'source_file', 'source_line', 'ingested_at', 'ingestion_date',
    ]) }}
{%- endmacro %}
