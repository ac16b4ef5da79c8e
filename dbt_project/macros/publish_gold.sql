{# Write-audit-publish from dbt itself. `dbt build` builds gold in gold_build and tests it; when every
   node of the build passed, the on-run-end hook publishes the gold models it built, through the same
   Python publication the `lakehouse` run uses (serving.gold_publication, exposed to DuckDB by the
   dbt-duckdb plugin serving.dbt_gold_plugin). `dbt run` publishes nothing: its gold is untested.
   `dbt run-operation publish_gold` publishes what gold_build holds now (every gold model, or
   --args '{models: [salary_averages]}'). The `lakehouse` run publishes on its own after reading dbt's
   results and passes the var publish_gold: false. #}

{% macro gold_models(names=none) -%}
    {%- set tables = {} -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.fqn[1] == 'marts' and (names is none or node.name in names) -%}
        {%- do tables.update({node.name: node.config.get('partitioned_by') or []}) -%}
    {%- endfor -%}
    {{ return(tables) }}
{%- endmacro %}

{% macro publish_gold(models=none) -%}
    {%- set tables = gold_models(models) -%}
    {%- if not tables -%}
        {{ log('gold: nothing to publish', info=true) }}
    {%- else -%}
        {%- do adapter.dispatch('publish_gold')(tables) -%}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__publish_gold(tables) -%}
    {%- set published = run_query("select lakehouse_publish_gold('" ~ (tojson(tables) | replace("'", "''")) ~ "')") -%}
    {%- for table in fromjson(published.columns[0].values()[0]) -%}
        {{ log('published gold.' ~ table.name ~ ': ' ~ table.rows ~ ' rows, version ' ~ table.version, info=true) }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__publish_gold(tables) -%}
    {{ exceptions.raise_compiler_error("gold publication from dbt is implemented for the local (DuckDB) target only; on " ~ target.type ~ " the day's workflow publishes") }}
{%- endmacro %}

{% macro publish_gold_after_build(results) -%}
    {%- if execute and flags.WHICH == 'build' and var('publish_gold', true) and target.type == 'duckdb' -%}
        {%- set problems = [] -%}
        {%- set built = [] -%}
        {%- for result in results -%}
            {%- if result.status in ['error', 'fail', 'runtime error', 'skipped'] -%}
                {%- do problems.append(result.node.name) -%}
            {%- elif result.node.resource_type == 'model' and result.node.fqn[1] == 'marts' -%}
                {%- do built.append(result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ log('gold not published (previous gold left unchanged): failed or skipped: ' ~ (problems | join(', ')), info=true) }}
        {%- elif built -%}
            {%- do publish_gold(built) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
