-- Each index indicator's contribution to a wijk's kwetsbaarheidsindex per period: its published z-score
-- times its weight in the index, the domain weight shared by the domain's available indicators over the sum
-- of the available domain weights. The contributions of a wijk and period add up to its kwetsbaarheidsindex
-- (before rounding); fct_kwetsbaarheid names the three largest in belangrijkste_indicatoren.
with scores as (
    select * from {{ ref('int_domeinscores') }}
),

gewicht_per_wijk as (
    select
        gebiedcode,
        periode,
        periode_type,
        sum(gewicht) as gewicht_beschikbaar
    from scores
    where score is not null
    group by gebiedcode, periode, periode_type
),

bijdragen as (
    select
        f.gebiedcode,
        f.indicator_code,
        f.periode,
        f.periode_type,
        c.domein,
        f.z_score,
        s.gewicht / (s.aantal_beschikbaar * w.gewicht_beschikbaar) as gewicht_in_index
    from {{ ref('fct_indicator_waarde') }} as f
    inner join {{ ref('indicator_catalogus') }} as c on f.indicator_code = c.indicator_code
    inner join scores as s
        on
            f.gebiedcode = s.gebiedcode
            and f.periode = s.periode
            and f.periode_type = s.periode_type
            and c.domein = s.domein
    inner join gewicht_per_wijk as w
        on f.gebiedcode = w.gebiedcode and f.periode = w.periode and f.periode_type = w.periode_type
    where c.in_index and f.status = 'ok' and f.z_score is not null and s.score is not null
)

select
    b.gebiedcode,
    b.indicator_code,
    b.periode,
    b.periode_type,
    p.periode_start,
    p.periode_eind,
    b.domein,
    b.z_score,
    round(b.gewicht_in_index, 6) as gewicht_in_index,
    round(b.z_score * b.gewicht_in_index, 6) as bijdrage,
    row_number() over (
        partition by b.gebiedcode, b.periode, b.periode_type
        order by b.z_score * b.gewicht_in_index desc, b.indicator_code asc
    ) as volgorde
from bijdragen as b
inner join {{ ref('int_perioden') }} as p on b.periode = p.periode and b.periode_type = p.periode_type
