{{ config(meta={'dagster': {'ref': {'name': 'int_indicator_beveiligd'}}}) }}
-- Disclosure (domain.md): where a gemeente teller is published, gemeente minus its published wijken gives
-- the sum of its hidden wijken (status not ok, noemer > 0); where the region teller is published, region
-- minus the published gemeenten gives the sum of the hidden gemeenten. Neither sum may be a teller in the
-- disclosure range (standaard 1-4, gevoelig 0-9). Returns the violating rows; any row fails the build.
with verborgen as (
    select
        w.gemeentecode as ouder,
        w.indicator_code,
        w.periode,
        w.periode_type,
        sum(w.teller) as verborgen_som
    from {{ ref('int_indicator_beveiligd') }} as w
    where w.niveau = 'wijk' and w.status <> 'ok' and coalesce(w.noemer, 1) > 0
    group by w.gemeentecode, w.indicator_code, w.periode, w.periode_type
    union all
    select
        '{{ var("regiocode") }}' as ouder,
        g.indicator_code,
        g.periode,
        g.periode_type,
        sum(g.teller) as verborgen_som
    from {{ ref('int_indicator_beveiligd') }} as g
    where g.niveau = 'gemeente' and g.status <> 'ok' and coalesce(g.noemer, 1) > 0
    group by g.indicator_code, g.periode, g.periode_type
)

select
    o.gebiedcode,
    o.indicator_code,
    o.periode,
    o.periode_type,
    v.verborgen_som
from {{ ref('int_indicator_beveiligd') }} as o
inner join verborgen as v
    on
        o.gebiedcode = v.ouder
        and o.indicator_code = v.indicator_code
        and o.periode = v.periode
        and o.periode_type = v.periode_type
inner join {{ ref('indicator_catalogus') }} as c on o.indicator_code = c.indicator_code
where
    o.niveau in ('gemeente', 'regio')
    and o.status = 'ok'
    and o.teller is not null
    and (
        (c.privacy_klasse = 'gevoelig' and v.verborgen_som < 10)
        or (c.privacy_klasse <> 'gevoelig' and v.verborgen_som > 0 and v.verborgen_som < 5)
    )
