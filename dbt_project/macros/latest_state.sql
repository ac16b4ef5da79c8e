{# Latest-state tables (one row per key, the latest delivery winning), built incrementally: a day's build
   costs the day's rows plus the state of the keys they touch, not a reread of every delivery so far.

   The state is partitioned by key_bucket, the first hex digit of the MD5 of the key (16 partitions, the
   same on both engines). An incremental build takes the rows of the days it processes (`delivered`),
   the state's rows in the buckets they touch except those of the processed days themselves (the new
   rows re-derive them, so a rerun changes nothing), keeps the latest row per key of the two, and
   replaces the touched buckets: insert_overwrite of their partitions on Athena (a Hive table has no row
   delete), delete+insert on DuckDB. Picking the latest row is an argmax over a total order, so taking
   it over (state + new rows) gives what a full refresh over every delivery gives.

   One case needs the history: a processed day delivered again without a key whose state row came from
   that day (a corrected file). That key's earlier deliveries are read back from every day, and its
   bucket is rewritten. It is checked before the build (one query on the state and the day) and is rare,
   so an ordinary day never scans the history. A bucket left with no row at all would not be replaced
   by the insert (it has nothing to insert), so such buckets are emptied first: a row delete on DuckDB,
   their partitions removed on Athena (dbt-athena's clean_up_partitions). #}

{% macro key_bucket(key) -%}
    {{ return(adapter.dispatch('key_bucket')(key)) }}
{%- endmacro %}

{% macro default__key_bucket(key) -%}
    substr(md5({{ _key_text(key) }}), 1, 1)
{%- endmacro %}

{% macro athena__key_bucket(key) -%}
    substr(lower(to_hex(md5(to_utf8({{ _key_text(key) }})))), 1, 1)
{%- endmacro %}

{% macro _key_text(key) -%}
    {%- set parts = [] -%}
    {%- for column in key -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as varchar), '')") -%}
    {%- endfor -%}
    {{ parts | join(" || '|' || ") }}
{%- endmacro %}

{# `delivered`: a select of the processed days' rows; `history`: the same select over every day (read
   in full on a full build, and for the keys of a corrected day otherwise). Both give `columns`, which
   hold the key columns and ingestion_date (a date). `order_by`: latest first, a total order. #}
{% macro latest_state(delivered, history, key, columns, order_by) -%}
{%- set reread = is_incremental() and execute and _keys_dropped_by_processed_days(delivered, key) -%}
{%- if reread and flags.WHICH in ['build', 'run'] -%}
    {%- do _empty_abandoned_buckets(delivered, history, key) -%}
{%- endif -%}
{%- set column_list = columns | join(',\n        ') %}
with

delivered as (

    {{ delivered if is_incremental() else history }}

),

{% if is_incremental() %}
processed_days as (

    select distinct ingestion_date from delivered

),

touched_buckets as (

    select {{ key_bucket(key) }} as key_bucket from delivered
    union
    select built.key_bucket
    from {{ this }} as built
    where built.ingestion_date in (select processed_days.ingestion_date from processed_days)

),

kept_state as (

    select
        {{ column_list }}
    from {{ this }} as built
    where
        built.key_bucket in (select touched_buckets.key_bucket from touched_buckets)
        and built.ingestion_date not in (select processed_days.ingestion_date from processed_days)

),

{% if reread %}
dropped_keys as (

    {{ _dropped_keys(key) }}

),

earlier_deliveries as (

    {{ _earlier_deliveries(history, key) }}

),

{% endif %}
candidates as (

    select {{ column_list }} from delivered
    union all
    select {{ column_list }} from kept_state
    {% if reread %}
        union all
        select {{ column_list }} from earlier_deliveries
    {% endif %}

),

{% else %}
candidates as (

    select * from delivered

),

{% endif %}
ranked as (

    select
        *,
        row_number() over (partition by {{ key | join(', ') }} order by {{ order_by }}) as recency_rank
    from candidates

),

latest as (

    select
        {{ column_list }},
        {{ key_bucket(key) }} as key_bucket
    from ranked
    where recency_rank = 1

)

select * from latest
{%- endmacro %}

{# The state's keys from the processed days that those days no longer deliver (needs a `delivered`
   and a `processed_days` CTE beside it). #}
{% macro _dropped_keys(key) -%}
    select {% for column in key %}{{ 'built.' ~ column }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ this }} as built
    where
        built.ingestion_date in (select processed_days.ingestion_date from processed_days)
        and not exists (
            select 1 from delivered
            where {% for column in key %}{{ 'and ' if not loop.first }}delivered.{{ column }} = built.{{ column }} {% endfor %}
        )
{%- endmacro %}

{# The other days' deliveries of the dropped keys (needs `dropped_keys` and `processed_days` beside it). #}
{% macro _earlier_deliveries(history, key) -%}
    select history.*
    from ({{ history }}) as history
    inner join dropped_keys
        on {% for column in key %}{{ 'and ' if not loop.first }}history.{{ column }} = dropped_keys.{{ column }} {% endfor %}
    where history.ingestion_date not in (select processed_days.ingestion_date from processed_days)
{%- endmacro %}

{% macro _keys_dropped_by_processed_days(delivered, key) -%}
    {%- set query -%}
        with delivered as ({{ delivered }}),
        processed_days as (select distinct ingestion_date from delivered),
        dropped_keys as ({{ _dropped_keys(key) }})
        select count(*) from dropped_keys
    {%- endset -%}
    {%- set dropped = run_query(query).columns[0].values()[0] | int -%}
    {%- if dropped -%}
        {{ log(this.identifier ~ ': ' ~ dropped ~ ' keys no longer delivered by a processed day; reading their earlier deliveries', info=true) }}
    {%- endif -%}
    {{ return(dropped > 0) }}
{%- endmacro %}

{# The buckets of the state that the build leaves without any row: their every row came from a
   processed day, which no longer delivers any key of theirs, and no earlier delivery of those keys
   exists. #}
{% macro _empty_abandoned_buckets(delivered, history, key) -%}
    {%- set query -%}
        with delivered as ({{ delivered }}),
        processed_days as (select distinct ingestion_date from delivered),
        dropped_keys as ({{ _dropped_keys(key) }}),
        earlier_deliveries as ({{ _earlier_deliveries(history, key) }}),
        filled_buckets as (
            select {{ key_bucket(key) }} as key_bucket from delivered
            union
            select {{ key_bucket(key) }} as key_bucket from earlier_deliveries
            union
            select built.key_bucket from {{ this }} as built
            where built.ingestion_date not in (select processed_days.ingestion_date from processed_days)
        )
        select distinct built.key_bucket
        from {{ this }} as built
        where built.key_bucket not in (select filled_buckets.key_bucket from filled_buckets)
        order by 1
    {%- endset -%}
    {%- set buckets = run_query(query).columns[0].values() -%}
    {%- if buckets -%}
        {{ log(this.identifier ~ ': emptying key buckets left without a row: ' ~ (buckets | join(', ')), info=true) }}
        {%- do adapter.dispatch('empty_key_buckets')(buckets) -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__empty_key_buckets(buckets) -%}
    {%- set quoted = [] -%}
    {%- for bucket in buckets -%}
        {%- do quoted.append("'" ~ bucket ~ "'") -%}
    {%- endfor -%}
    {%- do run_query('delete from ' ~ this ~ ' where key_bucket in (' ~ (quoted | join(', ')) ~ ')') -%}
{%- endmacro %}

{% macro athena__empty_key_buckets(buckets) -%}
    {%- set conditions = [] -%}
    {%- for bucket in buckets -%}
        {%- do conditions.append("key_bucket = '" ~ bucket ~ "'") -%}
    {%- endfor -%}
    {%- do adapter.clean_up_partitions(this, conditions) -%}
{%- endmacro %}
