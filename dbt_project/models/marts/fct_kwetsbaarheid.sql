-- The composite vulnerability index per wijk and period: the weighted mean of the available domain
-- scores, its rank in the region, the three indicators that contribute most, and the aandacht flag.
with scores as (
    select * from {{ ref('int_domeinscores') }}
),

index_per_wijk as (
    select
        gebiedcode,
        periode,
        periode_type,
        max(case when domein = 'veiligheid' then score end) as score_veiligheid,
        max(case when domein = 'leefbaarheid' then score end) as score_leefbaarheid,
        max(case when domein = 'gezondheid' then score end) as score_gezondheid,
        max(case when domein = 'wonen' then score end) as score_wonen,
        max(case when domein = 'brandveiligheid' then score end) as score_brandveiligheid,
        sum(case when score is not null then score * gewicht end)
        / nullif(sum(case when score is not null then gewicht end), 0) as kwetsbaarheidsindex,
        sum(case when score is not null then gewicht end) as gewicht_beschikbaar,
        count(case when score >= 1.0 then 1 end) as domeinen_hoog
    from scores
    group by gebiedcode, periode, periode_type
),

gerangschikt as (
    select
        i.*,
        rank() over (
            partition by i.periode, i.periode_type order by i.kwetsbaarheidsindex desc
        ) as rang_in_regio,
        count(*) over (partition by i.periode, i.periode_type) as aantal_wijken
    from index_per_wijk as i
    where i.kwetsbaarheidsindex is not null
),

-- Contribution of each indicator to the index: its z-score's share through its domain's score and weight.
bijdragen as (
    select
        f.gebiedcode,
        f.periode,
        f.periode_type,
        f.indicator_code,
        c.naam,
        f.z_score,
        f.z_score * s.gewicht / (s.aantal_beschikbaar * i.gewicht_beschikbaar) as bijdrage
    from {{ ref('fct_indicator_waarde') }} as f
    inner join {{ ref('indicator_catalogus') }} as c on f.indicator_code = c.indicator_code
    inner join scores as s
        on
            f.gebiedcode = s.gebiedcode
            and f.periode = s.periode
            and f.periode_type = s.periode_type
            and c.domein = s.domein
    inner join index_per_wijk as i
        on f.gebiedcode = i.gebiedcode and f.periode = i.periode and f.periode_type = i.periode_type
    where c.in_index and f.status = 'ok' and f.z_score is not null and s.score is not null
),

top_bijdragen as (
    select
        *,
        row_number() over (
            partition by gebiedcode, periode, periode_type order by bijdrage desc, indicator_code asc
        ) as volgorde
    from bijdragen
),

belangrijkste as (
    select
        gebiedcode,
        periode,
        periode_type,
        {{ dbt.listagg(
            "indicator_code || ' ' || naam || ' (z = ' || cast(round(z_score, 1) as varchar) || ')'",
            "'; '", "order by volgorde") }} as belangrijkste_indicatoren
    from top_bijdragen
    where volgorde <= 3
    group by gebiedcode, periode, periode_type
),

met_signaal as (
    select distinct
        gebiedcode,
        periode,
        periode_type
    from {{ ref('signalen') }}
)

select
    i.gebiedcode,
    i.periode,
    i.periode_type,
    round(i.score_veiligheid, 3) as score_veiligheid,
    round(i.score_leefbaarheid, 3) as score_leefbaarheid,
    round(i.score_gezondheid, 3) as score_gezondheid,
    round(i.score_wonen, 3) as score_wonen,
    round(i.score_brandveiligheid, 3) as score_brandveiligheid,
    round(i.kwetsbaarheidsindex, 3) as kwetsbaarheidsindex,
    g.rang_in_regio,
    coalesce(
        g.rang_in_regio <= ceiling(0.1 * g.aantal_wijken)
        or i.domeinen_hoog >= 2
        or s.gebiedcode is not null,
        false
    ) as aandacht,
    b.belangrijkste_indicatoren,
    case when i.kwetsbaarheidsindex is null then 'onvoldoende_data' else 'ok' end as status
from index_per_wijk as i
left join gerangschikt as g
    on i.gebiedcode = g.gebiedcode and i.periode = g.periode and i.periode_type = g.periode_type
left join belangrijkste as b
    on i.gebiedcode = b.gebiedcode and i.periode = b.periode and i.periode_type = b.periode_type
left join met_signaal as s
    on i.gebiedcode = s.gebiedcode and i.periode = s.periode and i.periode_type = s.periode_type
