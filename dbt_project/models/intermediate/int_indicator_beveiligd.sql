{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ verwijder_perioden() }}") }}
-- depends_on: {{ ref('int_perioden_gewijzigd') }}, {{ ref('int_perioden') }}
-- Every value after disclosure control (docs/methodology.md, "Disclosure control"): the primary status
-- (int_indicator_primair), or onderdrukt where secondary suppression hides the row
-- (int_indicator_secundair), and the figures a release shows: teller_gepubliceerd (rounded to 5; for
-- estimates the percentage to one decimal) only for ok rows, noemer_gepubliceerd (a counting noemer only for
-- ok rows). The exact teller and noemer stay internal: nothing published is computed from them.
-- Incremental by period: a night recomputes only the periods of int_perioden_gewijzigd.
select
    p.indicator_code,
    p.periode,
    p.periode_type,
    p.gebiedcode,
    p.niveau,
    p.gemeentecode,
    p.teller,
    p.noemer,
    p.waarde_geleverd,
    p.ondergrens,
    p.bovengrens,
    case when s.gebiedcode is not null then 'onderdrukt' else p.status end as status,
    s.gebiedcode is not null as secundair_onderdrukt,
    case when s.gebiedcode is null and p.status = 'ok' then p.teller_gepubliceerd end as teller_gepubliceerd,
    case
        when not r.noemer_is_telling then p.noemer_gepubliceerd
        when s.gebiedcode is null and p.status = 'ok' then p.noemer_gepubliceerd
    end as noemer_gepubliceerd
from {{ ref('int_indicator_primair') }} as p
inner join {{ ref('int_indicator_regels') }} as r on p.indicator_code = r.indicator_code
left join {{ ref('int_indicator_secundair') }} as s
    on
        p.gebiedcode = s.gebiedcode
        and p.indicator_code = s.indicator_code
        and p.periode = s.periode
        and p.periode_type = s.periode_type
where {{ alleen_gewijzigde_perioden('p') }}
