-- Disclosure (domain.md): where a gemeente teller is published, gemeente minus its published wijken gives
-- the sum of the hidden wijken (status not ok, noemer > 0). That sum must not be a teller in the disclosure
-- range (standaard 1-4, gevoelig 0-9). Returns the violating gemeente rows; any row fails the build.
with verborgen as (
    select
        w.gemeentecode,
        w.indicator_code,
        w.periode,
        w.periode_type,
        sum(w.teller) as verborgen_som
    from {{ ref('int_indicator_beveiligd') }} as w
    where w.niveau = 'wijk' and w.status <> 'ok' and coalesce(w.noemer, 1) > 0
    group by w.gemeentecode, w.indicator_code, w.periode, w.periode_type
)

select
    g.gebiedcode,
    g.indicator_code,
    g.periode,
    g.periode_type,
    v.verborgen_som
from {{ ref('int_indicator_beveiligd') }} as g
inner join verborgen as v
    on
        g.gebiedcode = v.gemeentecode
        and g.indicator_code = v.indicator_code
        and g.periode = v.periode
        and g.periode_type = v.periode_type
inner join {{ ref('indicator_catalogus') }} as c on g.indicator_code = c.indicator_code
where
    g.niveau = 'gemeente'
    and g.status = 'ok'
    and g.teller is not null
    and (
        (c.privacy_klasse = 'gevoelig' and v.verborgen_som < 10)
        or (c.privacy_klasse <> 'gevoelig' and v.verborgen_som > 0 and v.verborgen_som < 5)
    )
