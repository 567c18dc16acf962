-- One row per gebied x indicator x periode: the published value with its status, the pooled regional
-- value, the index against the region (100 = regional average), the polarity-adjusted z-score over the
-- region's wijken, the rank and the change against the same period a year earlier.
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
        b.*,
        c.polariteit,
        c.noemer_kolom is not null as is_verhouding,
        case
            when b.status <> 'ok' then null
            when b.waarde_geleverd is not null then b.waarde_geleverd
            when c.noemer_kolom is null then b.teller
            when b.noemer > 0 then b.teller / b.noemer * c.schaal
        end as waarde_exact
    from {{ ref('int_indicator_beveiligd') }} as b
    inner join catalogus as c on b.indicator_code = c.indicator_code
),

regio as (
    select
        t.indicator_code,
        t.periode,
        t.periode_type,
        case
            when t.bron_status is not null then null
            when t.waarde_geleverd is not null then t.waarde_geleverd
            when c.noemer_kolom is null then t.teller
            when t.noemer > 0 then t.teller / t.noemer * c.schaal
        end as regio_waarde
    from {{ ref('int_indicator_teller') }} as t
    inner join catalogus as c on t.indicator_code = c.indicator_code
    where t.niveau = 'regio'
),

verdeling as (
    select
        indicator_code,
        periode,
        periode_type,
        avg(waarde_exact) as gemiddelde,
        stddev_pop(waarde_exact) as standaardafwijking
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
            else (w.waarde_exact - v.gemiddelde) / v.standaardafwijking
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
            order by case when polariteit = -1 then -waarde_exact else waarde_exact end desc
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
        w.waarde_exact as waarde_vorig
    from waarden as w
    inner join {{ ref('int_perioden') }} as p
        on w.periode = p.vorige_periode and w.periode_type = p.periode_type
)

select
    g.gebiedcode,
    g.indicator_code,
    g.periode,
    g.periode_type,
    case when g.status = 'ok' then cast(round(g.teller / 5.0, 0) * 5 as bigint) end as teller,
    g.noemer,
    round(g.waarde_exact, 1) as waarde,
    case when g.status = 'ok' then round(g.ondergrens, 1) end as ondergrens,
    case when g.status = 'ok' then round(g.bovengrens, 1) end as bovengrens,
    round(g.regio_waarde, 1) as regio_waarde,
    case
        when g.is_verhouding and g.regio_waarde > 0 then round(100 * g.waarde_exact / g.regio_waarde, 1)
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
    round(g.waarde_exact - v.waarde_vorig, 1) as verandering_vorig_jaar,
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
