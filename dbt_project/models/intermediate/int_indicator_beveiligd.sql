-- Disclosure control on every value (domain.md, "Disclosure control"):
-- 1. no delivery: geen_data;
-- 2. a noemer below the indicator's minimum_noemer: te_kleine_noemer (decided on the public noemer, so
--    the status itself says nothing about the teller; for estimates: the number of respondents);
-- 3. a value withheld by the source: niet_geleverd;
-- 4. a teller in the disclosure range (standaard 1-4, gevoelig 0-9; a mean over quarters counts by its
--    rounded-up size, i.e. below 5 or below 10): onderdrukt;
-- 5. complementary suppression: where a gemeente total is published and its hidden wijken (one
--    suppressed wijk, possibly beside hidden wijken with teller 0) add up to a value in the disclosure
--    range, the published wijk with the next smallest teller is suppressed too (or, when there is none,
--    the gemeente total), so no hidden teller can be derived by subtraction; the same holds one level up:
--    when the hidden gemeenten add up to a small teller, the region's own value is suppressed.
with catalogus as (
    select
        indicator_code,
        privacy_klasse,
        minimum_noemer
    from {{ ref('indicator_catalogus') }}
),

primair as (
    select
        t.*,
        -- a teller of 0 out of a noemer of 0 (e.g. no corporatie dwellings) describes nobody
        t.teller is not null
        and coalesce(t.noemer, 1) > 0
        and (
            (c.privacy_klasse = 'gevoelig' and t.teller >= 0 and t.teller < 10)
            or (c.privacy_klasse <> 'gevoelig' and t.teller > 0 and t.teller < 5)
        ) as in_onthullingsbereik,
        case
            when t.bron_status = 'geen_data' then t.bron_status
            when t.noemer is not null and t.noemer < c.minimum_noemer then 'te_kleine_noemer'
            when t.bron_status is not null then t.bron_status
            when
                (c.privacy_klasse = 'gevoelig' and t.teller >= 0 and t.teller < 10)
                or (c.privacy_klasse <> 'gevoelig' and t.teller > 0 and t.teller < 5)
                then 'onderdrukt'
            else 'ok'
        end as status
    from {{ ref('int_indicator_teller') }} as t
    inner join catalogus as c on t.indicator_code = c.indicator_code
),

-- What subtraction reveals: gemeente total minus its published wijken = the sum of the hidden tellers.
verborgen_per_gemeente as (
    select
        w.gemeentecode,
        w.indicator_code,
        w.periode,
        w.periode_type,
        max(c.privacy_klasse) as privacy_klasse,
        sum(w.teller) as verborgen_som,
        max(case when w.in_onthullingsbereik then 1 else 0 end) as onthullend
    from primair as w
    inner join catalogus as c on w.indicator_code = c.indicator_code
    where w.niveau = 'wijk' and w.status in ('onderdrukt', 'te_kleine_noemer')
    group by w.gemeentecode, w.indicator_code, w.periode, w.periode_type
),

-- A secondary suppression is needed where the gemeente total is published, some hidden wijk is in the
-- disclosure range and the hidden tellers add up to a value in the disclosure range (this covers the
-- spec's case of exactly one suppressed wijk, and a suppressed wijk next to a hidden wijk with teller 0).
secundair_nodig as (
    select v.*
    from verborgen_per_gemeente as v
    inner join primair as g
        on
            v.gemeentecode = g.gebiedcode
            and v.indicator_code = g.indicator_code
            and v.periode = g.periode
            and v.periode_type = g.periode_type
    where
        g.status = 'ok'
        and v.onthullend = 1
        and (
            (v.privacy_klasse = 'gevoelig' and v.verborgen_som < 10)
            or (v.privacy_klasse <> 'gevoelig' and v.verborgen_som < 5)
        )
),

-- The published wijk with the smallest teller that lifts the hidden sum out of the disclosure range.
kandidaten as (
    select
        w.gebiedcode,
        w.gemeentecode,
        w.indicator_code,
        w.periode,
        w.periode_type,
        row_number() over (
            partition by w.gemeentecode, w.indicator_code, w.periode, w.periode_type
            order by w.teller asc, w.gebiedcode asc
        ) as volgorde
    from primair as w
    inner join secundair_nodig as s
        on
            w.gemeentecode = s.gemeentecode
            and w.indicator_code = s.indicator_code
            and w.periode = s.periode
            and w.periode_type = s.periode_type
    where
        w.niveau = 'wijk' and w.status = 'ok'
        and (
            (s.privacy_klasse = 'gevoelig' and s.verborgen_som + w.teller >= 10)
            or (s.privacy_klasse <> 'gevoelig' and s.verborgen_som + w.teller >= 5)
        )
),

secundair as (
    -- the wijk with the next smallest teller ...
    select
        gebiedcode,
        indicator_code,
        periode,
        periode_type
    from kandidaten
    where volgorde = 1
    union all
    -- ... or the gemeente total itself when no published wijk can protect the hidden ones
    select
        s.gemeentecode as gebiedcode,
        s.indicator_code,
        s.periode,
        s.periode_type
    from secundair_nodig as s
    where not exists (
        select 1
        from kandidaten as k
        where
            k.gemeentecode = s.gemeentecode
            and k.indicator_code = s.indicator_code
            and k.periode = s.periode
            and k.periode_type = s.periode_type
    )
),

-- After the wijk level: the region total minus the published gemeenten gives the sum of the hidden
-- gemeenten. Where that is a small teller, the region's own value is suppressed (its pooled rate on other
-- rows keeps one decimal over the whole region's noemer, which gives no small count back).
na_wijken as (
    select
        p.*,
        case when s.gebiedcode is not null then 'onderdrukt' else p.status end as status_na,
        s.gebiedcode is not null as secundair_onderdrukt
    from primair as p
    left join secundair as s
        on
            p.gebiedcode = s.gebiedcode
            and p.indicator_code = s.indicator_code
            and p.periode = s.periode
            and p.periode_type = s.periode_type
),

regio_onthullend as (
    select
        g.indicator_code,
        g.periode,
        g.periode_type
    from na_wijken as g
    inner join catalogus as c on g.indicator_code = c.indicator_code
    where g.niveau = 'gemeente' and g.status_na <> 'ok' and coalesce(g.noemer, 1) > 0
    group by g.indicator_code, g.periode, g.periode_type, c.privacy_klasse
    having
        max(case when g.in_onthullingsbereik then 1 else 0 end) = 1
        and (
            (c.privacy_klasse = 'gevoelig' and sum(g.teller) < 10)
            or (c.privacy_klasse <> 'gevoelig' and sum(g.teller) < 5)
        )
)

select
    n.indicator_code,
    n.periode,
    n.periode_type,
    n.gebiedcode,
    n.niveau,
    n.gemeentecode,
    n.teller,
    n.noemer,
    n.waarde_geleverd,
    n.ondergrens,
    n.bovengrens,
    case when r.indicator_code is not null then 'onderdrukt' else n.status_na end as status,
    n.secundair_onderdrukt or r.indicator_code is not null as secundair_onderdrukt
from na_wijken as n
left join regio_onthullend as r
    on
        n.niveau = 'regio'
        and n.status_na = 'ok'
        and n.indicator_code = r.indicator_code
        and n.periode = r.periode
        and n.periode_type = r.periode_type
