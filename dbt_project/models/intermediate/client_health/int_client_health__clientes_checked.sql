-- Every staged client record from the three formats, with its state resolved to a UF and the first
-- quality problem found (null when the record is good). Records with a problem are quarantined
-- (int_client_health__quarantined) and never reach gold. A view, like the staging models: the two
-- models that read it (the quarantine and the latest record per CPF) are the silver tables.
with

parquet as (

    select * from {{ ref('stg_client_health__clientes_parquet') }}

),

csv as (

    select * from {{ ref('stg_client_health__clientes_csv') }}

),

json as (

    select * from {{ ref('stg_client_health__clientes_json') }}

),

unioned as (

    select * from parquet
    union all
    select * from csv
    union all
    select * from json

),

states as (

    select * from {{ ref('brazilian_states') }}

),

-- A state is recognised by its UF or its name, in any case, with or without accents.
state_keys as (

    select uf, upper(uf) as state_key from states
    union all
    select uf, upper({{ remove_accents('nome') }}) as state_key from states

),

located as (

    select
        unioned.*,
        {{ cpf_number('unioned.cpf') }} as cpf_number,
        state_keys.uf as estado
    from unioned
    left join state_keys
        on upper({{ remove_accents('trim(unioned.estado_original)') }}) = state_keys.state_key

),

checked as (

    select
        *,
        coalesce(
            {{ cpf_rejection_reason('cpf_original', 'cpf', 'cpf_number') }},
            case when nome_completo is null then 'nome_completo:missing' end,
            case
                when data_cadastro_original is null then 'data_cadastro:missing'
                when data_cadastro is null then 'data_cadastro:not_a_timestamp'
            end,
            case when data_nascimento_original is not null and data_nascimento is null then 'data_nascimento:not_a_date' end,
            case when sexo_original is not null and sexo is null then 'sexo:unknown_value' end,
            case
                when estado_original is null then 'estado:missing'
                when estado is null then 'estado:unknown_state'
            end,
            case when numero_original is not null and numero is null then 'numero:not_a_whole_number' end
        ) as rejection_reason
    from located

)

select * from checked
