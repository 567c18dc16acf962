-- Domain scores per wijk and period: the mean of the polarity-adjusted z-scores of the domain's index
-- indicators with status ok; null (onvoldoende_data) when fewer than half of them are available.
with index_indicatoren as (
    select
        indicator_code,
        domein
    from {{ ref('indicator_catalogus') }}
    where in_index
),

domeinen as (
    select
        i.domein,
        count(*) as aantal_indicatoren,
        max(g.gewicht) as gewicht
    from index_indicatoren as i
    inner join {{ ref('domein_gewichten') }} as g on i.domein = g.domein
    group by i.domein
),

wijk_perioden as (
    select
        g.gebiedcode,
        p.periode,
        p.periode_type
    from {{ ref('int_geografie_referentie') }} as g
    cross join {{ ref('int_perioden') }} as p
    where g.niveau = 'wijk'
),

z as (
    select
        f.gebiedcode,
        f.periode,
        f.periode_type,
        i.domein,
        f.z_score
    from {{ ref('fct_indicator_waarde') }} as f
    inner join index_indicatoren as i on f.indicator_code = i.indicator_code
    where f.status = 'ok' and f.z_score is not null
)

select
    w.gebiedcode,
    w.periode,
    w.periode_type,
    d.domein,
    d.gewicht,
    d.aantal_indicatoren,
    count(z.z_score) as aantal_beschikbaar,
    case when 2 * count(z.z_score) >= d.aantal_indicatoren then avg(z.z_score) end as score
from wijk_perioden as w
cross join domeinen as d
left join z
    on
        w.gebiedcode = z.gebiedcode
        and w.periode = z.periode
        and w.periode_type = z.periode_type
        and d.domein = z.domein
group by w.gebiedcode, w.periode, w.periode_type, d.domein, d.gewicht, d.aantal_indicatoren
