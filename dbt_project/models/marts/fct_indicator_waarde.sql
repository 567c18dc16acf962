-- One row per gebied x indicator x periode: the published value with its status, the region's published
-- value, the index against the region (100 = regional average), the polarity-adjusted z-score over the
-- region's wijken, the rank and the change against the same period a year earlier.
-- Everything here is computed from published figures only (docs/methodology.md, "Disclosure control"):
-- waarde = round(published teller x schaal / published noemer, 1), and every derived column from those
-- waarden, never from exact tellers, so no derived figure gives a rounded or hidden teller back.
with catalogus as (
    select
        indicator_code,
        schaal,
        polariteit,
        noemer_kolom
    from {{ ref('indicator_catalogus') }}
),

waarden as (
    select
        b.gebiedcode,
        b.indicator_code,
        b.periode,
        b.periode_type,
        b.niveau,
        b.status,
        b.ondergrens,
        b.bovengrens,
        c.polariteit,
        c.noemer_kolom is not null as is_verhouding,
        b.waarde_geleverd is not null as is_schatting,
        b.noemer_gepubliceerd as noemer,
        case when b.waarde_geleverd is null then b.teller_gepubliceerd end as teller,
        case
            when b.status <> 'ok' then null
            -- an estimate: the delivered percentage or score, rounded to one decimal
            when b.waarde_geleverd is not null then b.teller_gepubliceerd
            when c.noemer_kolom is null then b.teller_gepubliceerd
            when b.noemer_gepubliceerd > 0 then round(b.teller_gepubliceerd * c.schaal / b.noemer_gepubliceerd, 1)
        end as waarde
    from {{ ref('int_indicator_beveiligd') }} as b
    inner join catalogus as c on b.indicator_code = c.indicator_code
),

-- The region's own published value; null where the region row is not ok.
regio as (
    select
        indicator_code,
        periode,
        periode_type,
        waarde as regio_waarde
    from waarden
    where niveau = 'regio' and status = 'ok'
),

verdeling as (
    select
        indicator_code,
        periode,
        periode_type,
        avg(waarde) as gemiddelde,
        stddev_pop(waarde) as standaardafwijking
    from waarden
    where niveau = 'wijk' and status = 'ok'
    group by indicator_code, periode, periode_type
),

gescoord as (
    select
        w.*,
        r.regio_waarde,
        case
            when w.niveau <> 'wijk' or w.status <> 'ok' or w.polariteit = 0 then null
            -- every wijk has the same value: no deviation
            when v.standaardafwijking = 0 then 0
            else (w.waarde - v.gemiddelde) / v.standaardafwijking
        end as z_ruw
    from waarden as w
    left join regio as r
        on
            w.indicator_code = r.indicator_code
            and w.periode = r.periode
            and w.periode_type = r.periode_type
    left join verdeling as v
        on
            w.indicator_code = v.indicator_code
            and w.periode = v.periode
            and w.periode_type = v.periode_type
),

rangen as (
    -- 1 = the least favourable wijk (or gemeente) of the region: the highest value, or the lowest where
    -- higher is better. Wijken are ranked among the wijken, gemeenten among the gemeenten.
    select
        gebiedcode,
        indicator_code,
        periode,
        periode_type,
        rank() over (
            partition by niveau, indicator_code, periode, periode_type
            order by case when polariteit = -1 then -waarde else waarde end desc
        ) as rang_in_regio
    from waarden
    where niveau in ('wijk', 'gemeente') and status = 'ok'
),

vorig as (
    select
        w.gebiedcode,
        w.indicator_code,
        w.periode_type,
        p.periode,
        w.waarde as waarde_vorig
    from waarden as w
    inner join {{ ref('int_perioden') }} as p
        on w.periode = p.vorige_periode and w.periode_type = p.periode_type
)

select
    g.gebiedcode,
    g.indicator_code,
    g.periode,
    g.periode_type,
    case when g.status = 'ok' then cast(g.teller as bigint) end as teller,
    g.noemer,
    g.waarde,
    case when g.status = 'ok' then round(g.ondergrens, 1) end as ondergrens,
    case when g.status = 'ok' then round(g.bovengrens, 1) end as bovengrens,
    g.regio_waarde,
    case
        when g.is_verhouding and g.regio_waarde > 0 then round(100 * g.waarde / g.regio_waarde, 1)
    end as index_regio,
    round(
        g.polariteit * case
            when g.z_ruw > 3 then 3
            when g.z_ruw < -3 then -3
            else g.z_ruw
        end,
        3
    ) as z_score,
    r.rang_in_regio,
    round(g.waarde - v.waarde_vorig, 1) as verandering_vorig_jaar,
    g.status,
    p.periode_start,
    p.periode_eind
from gescoord as g
inner join {{ ref('int_perioden') }} as p on g.periode = p.periode and g.periode_type = p.periode_type
left join rangen as r
    on
        g.gebiedcode = r.gebiedcode
        and g.indicator_code = r.indicator_code
        and g.periode = r.periode
        and g.periode_type = r.periode_type
left join vorig as v
    on
        g.gebiedcode = v.gebiedcode
        and g.indicator_code = v.indicator_code
        and g.periode = v.periode
        and g.periode_type = v.periode_type
