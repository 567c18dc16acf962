-- depends_on: {{ ref('indicator_catalogus') }}
-- Wide table for BI users: one row per wijk and period with names, population, every index indicator's
-- waarde, index and status (why a waarde is empty), the domain scores and the aandacht flag. Columns follow
-- the catalogue (seed).
{%- set indicatoren = [] -%}
{%- set catalogus = ref('indicator_catalogus') -%}
{#- The catalogue is read once the seed exists (not while linting or parsing). -#}
{%- if execute and adapter.get_relation(catalogus.database, catalogus.schema, catalogus.identifier) -%}
    {%- set resultaat = run_query(
        "select indicator_code from " ~ catalogus ~ " where in_index order by indicator_code"
    ) -%}
    {%- set indicatoren = resultaat.columns[0].values() -%}
{%- endif %}

with waarden as (
    select * from {{ ref('fct_indicator_waarde') }}
)

select
    k.gebiedcode,
    g.gebiedsnaam as wijknaam,
    g.gemeentecode,
    g.gemeentenaam,
    k.periode,
    k.periode_type,
    k.periode_start,
    k.periode_eind,
    g.inwoners,
    {%- for code in indicatoren %}
    max(case when w.indicator_code = '{{ code }}' then w.waarde end) as {{ code | lower }}_waarde,
    max(case when w.indicator_code = '{{ code }}' then w.index_regio end) as {{ code | lower }}_index,
    max(case when w.indicator_code = '{{ code }}' then w.status end) as {{ code | lower }}_status,
    {%- endfor %}
    k.score_veiligheid,
    k.score_leefbaarheid,
    k.score_gezondheid,
    k.score_wonen,
    k.score_brandveiligheid,
    k.kwetsbaarheidsindex,
    k.rang_in_regio,
    k.aandacht,
    k.belangrijkste_indicatoren
from {{ ref('fct_kwetsbaarheid') }} as k
inner join {{ ref('dim_gebied') }} as g on k.gebiedcode = g.gebiedcode
left join waarden as w  -- noqa: ST11
    on k.gebiedcode = w.gebiedcode and k.periode = w.periode and k.periode_type = w.periode_type
group by
    k.gebiedcode,
    g.gebiedsnaam,
    g.gemeentecode,
    g.gemeentenaam,
    k.periode,
    k.periode_type,
    k.periode_start,
    k.periode_eind,
    g.inwoners,
    k.score_veiligheid,
    k.score_leefbaarheid,
    k.score_gezondheid,
    k.score_wonen,
    k.score_brandveiligheid,
    k.kwetsbaarheidsindex,
    k.rang_in_regio,
    k.aandacht,
    k.belangrijkste_indicatoren
