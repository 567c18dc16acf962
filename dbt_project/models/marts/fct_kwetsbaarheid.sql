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

-- The contributions of the indicators to the index (fct_bijdrage, in order of size).
top_bijdragen as (
    select
        b.*,
        c.naam
    from {{ ref('fct_bijdrage') }} as b
    inner join {{ ref('indicator_catalogus') }} as c on b.indicator_code = c.indicator_code
),

belangrijkste as (
    select
        gebiedcode,
        periode,
        periode_type,
        {{ dbt.listagg(
            "indicator_code || ' ' || naam || ' (bijdrage ' || replace(cast(round(bijdrage, 2) as varchar), '.', ',') || ')'",
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
    case when i.kwetsbaarheidsindex is null then 'onvoldoende_data' else 'ok' end as status,
    p.periode_start,
    p.periode_eind
from index_per_wijk as i
inner join {{ ref('int_perioden') }} as p on i.periode = p.periode and i.periode_type = p.periode_type
left join gerangschikt as g
    on i.gebiedcode = g.gebiedcode and i.periode = g.periode and i.periode_type = g.periode_type
left join belangrijkste as b
    on i.gebiedcode = b.gebiedcode and i.periode = b.periode and i.periode_type = b.periode_type
left join met_signaal as s
    on i.gebiedcode = s.gebiedcode and i.periode = s.periode and i.periode_type = s.periode_type
