{# The rank of a partner employee row among the deliveries of the same (partner, id_funcionario,
   data_referencia): 1 for the latest (ingestion day, then ingestion time, then file, then line). Shared
   by int_partner_csv__employees_latest and salary_averages, which ranks only the months it rebuilds. #}
{% macro partner_delivery_rank() -%}
    row_number() over (
        partition by partner, id_funcionario, data_referencia
        order by ingestion_date desc, ingested_at desc, source_file desc, source_line desc
    )
{%- endmacro %}
