-- Rule-based early warnings (docs/methodology.md, "Signals"); each row names its evidence. Built from
-- published figures only (rounded tellers, published waarden), like everything in the mart.
with waarden as (
    select
        f.gebiedcode,
        f.indicator_code,
        f.periode,
        f.periode_type,
        f.waarde,
        f.ondergrens,
        f.bovengrens,
        f.z_score,
        f.status,
        f.teller,
        f.noemer,
        p.vorige_periode
    from {{ ref('fct_indicator_waarde') }} as f
    inner join {{ ref('int_perioden') }} as p
        on f.periode = p.periode and f.periode_type = p.periode_type
),

met_vorig as (
    select
        w.*,
        v.waarde as waarde_vorig,
        v.ondergrens as ondergrens_vorig,
        v.bovengrens as bovengrens_vorig,
        v.z_score as z_vorig,
        v.status as status_vorig,
        v.teller as teller_vorig,
        v.noemer as noemer_vorig
    from waarden as w
    inner join waarden as v
        on
            w.gebiedcode = v.gebiedcode
            and w.indicator_code = v.indicator_code
            and w.periode_type = v.periode_type
            and w.vorige_periode = v.periode
),

-- S_STIJGING: an index indicator rose by >= 1.0 z-score against the same period a year earlier. With
-- about 30 indicators for every wijk, chance alone gives many such rises, so a rise counts only when
-- the wijk now stands out (z >= 1.0) and the change is larger than its sampling noise (3 standard
-- errors): Poisson for counts (the published teller), non-overlapping 95 % intervals for estimates that
-- have one, the binomial standard error for survey percentages without an interval.
stijging_rijen as (
    select m.*
    from met_vorig as m
    inner join {{ ref('indicator_catalogus') }} as c on m.indicator_code = c.indicator_code
    where
        c.in_index
        and m.status = 'ok' and m.status_vorig = 'ok'
        and m.z_score - m.z_vorig >= 1.0
        and m.z_score >= 1.0
        and case
            when m.teller is not null and m.teller_vorig is not null
                then abs(m.teller - m.teller_vorig) >= 3 * sqrt(m.teller + m.teller_vorig + 25.0 / 6)
            when m.ondergrens is not null and m.ondergrens_vorig is not null
                then m.ondergrens > m.bovengrens_vorig or m.bovengrens < m.ondergrens_vorig
            when c.eenheid = '%' and m.noemer > 0 and m.noemer_vorig > 0
                then
                    abs(m.waarde - m.waarde_vorig)
                    >= 3 * sqrt(
                        m.waarde * (100 - m.waarde) / m.noemer
                        + m.waarde_vorig * (100 - m.waarde_vorig) / m.noemer_vorig
                    )
            else true
        end
),

stijging as (
    select
        gebiedcode,
        periode,
        periode_type,
        {{ dbt.listagg(
            "indicator_code || ' z ' || cast(round(z_vorig, 2) as varchar) || ' -> '
             || cast(round(z_score, 2) as varchar) || ' (waarde ' || cast(waarde_vorig as varchar) || ' -> '
             || cast(waarde as varchar) || ')'",
            "'; '", "order by indicator_code") }} as onderbouwing
    from stijging_rijen
    group by gebiedcode, periode, periode_type
),

-- S_STAPELING: three or more domains with score >= 1.0 at once.
stapeling as (
    select
        gebiedcode,
        periode,
        periode_type,
        {{ dbt.listagg(
            "domein || ' ' || cast(round(score, 2) as varchar)", "'; '", "order by domein") }} as onderbouwing
    from {{ ref('int_domeinscores') }}
    where score >= 1.0
    group by gebiedcode, periode, periode_type
    having count(*) >= 3
),

-- S_MELDINGSBEREIDHEID: meldingen (L01) fell >= 25 % against a year earlier, at least 15 percentage
-- points more than the region, while physical-decline evidence (L04, L08 or L06) did not fall.
l01 as (
    select *
    from met_vorig
    where indicator_code = 'L01' and status = 'ok' and status_vorig = 'ok' and waarde_vorig > 0
),

l01_regio as (
    select
        f.periode,
        f.periode_type,
        f.regio_waarde,
        v.regio_waarde as regio_waarde_vorig
    from {{ ref('fct_indicator_waarde') }} as f
    inner join {{ ref('int_perioden') }} as p
        on f.periode = p.periode and f.periode_type = p.periode_type
    inner join {{ ref('fct_indicator_waarde') }} as v
        on
            p.vorige_periode = v.periode
            and f.periode_type = v.periode_type
            and f.gebiedcode = v.gebiedcode
            and f.indicator_code = v.indicator_code
    where f.indicator_code = 'L01' and f.gebiedcode = '{{ var("regiocode") }}' and v.regio_waarde > 0
),

verval as (
    select
        gebiedcode,
        periode,
        periode_type,
        {{ dbt.listagg(
            "indicator_code || ' ' || cast(waarde_vorig as varchar) || ' -> ' || cast(waarde as varchar)",
            "'; '", "order by indicator_code") }} as onderbouwing
    from met_vorig
    where
        indicator_code in ('L04', 'L08', 'L06')
        and status = 'ok' and status_vorig = 'ok'
        and waarde >= waarde_vorig
    group by gebiedcode, periode, periode_type
),

meldingsbereidheid as (
    select
        l.gebiedcode,
        l.periode,
        l.periode_type,
        'L01 ' || cast(l.waarde_vorig as varchar) || ' -> ' || cast(l.waarde as varchar)
        || ' (' || cast(round(100 * (l.waarde - l.waarde_vorig) / l.waarde_vorig, 1) as varchar)
        || ' %; regio '
        || cast(round(100 * (r.regio_waarde - r.regio_waarde_vorig) / r.regio_waarde_vorig, 1) as varchar)
        || ' %); ' || e.onderbouwing as onderbouwing
    from l01 as l
    inner join l01_regio as r on l.periode = r.periode and l.periode_type = r.periode_type
    inner join verval as e
        on l.gebiedcode = e.gebiedcode and l.periode = e.periode and l.periode_type = e.periode_type
    where
        (l.waarde - l.waarde_vorig) / l.waarde_vorig <= -0.25
        and 100 * (l.waarde - l.waarde_vorig) / l.waarde_vorig
        <= 100 * (r.regio_waarde - r.regio_waarde_vorig) / r.regio_waarde_vorig - 15
),

alle_signalen as (
    select
        gebiedcode,
        periode,
        periode_type,
        'S_MELDINGSBEREIDHEID' as signaal_code,
        'Minder meldingen openbare ruimte terwijl de verloedering niet afneemt' as omschrijving,
        onderbouwing
    from meldingsbereidheid
    union all
    select
        gebiedcode,
        periode,
        periode_type,
        'S_STIJGING' as signaal_code,
        'Sterke stijging van een indicator (z-score +1,0 of meer t.o.v. een jaar eerder, '
        || 'boven de ruis)' as omschrijving,
        onderbouwing
    from stijging
    union all
    select
        gebiedcode,
        periode,
        periode_type,
        'S_STAPELING' as signaal_code,
        'Stapeling: drie of meer domeinen met score 1,0 of hoger' as omschrijving,
        onderbouwing
    from stapeling
)

select
    s.gebiedcode,
    s.periode,
    s.periode_type,
    s.signaal_code,
    s.omschrijving,
    s.onderbouwing,
    p.periode_start,
    p.periode_eind
from alle_signalen as s
inner join {{ ref('int_perioden') }} as p on s.periode = p.periode and s.periode_type = p.periode_type
