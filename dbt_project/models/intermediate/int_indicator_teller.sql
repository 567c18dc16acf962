{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ verwijder_perioden() }}") }}
-- depends_on: {{ ref('int_perioden_gewijzigd') }}, {{ ref('int_perioden') }}
-- Teller and noemer of every catalogue indicator for every period and gebied (wijk, gemeente, regio),
-- before disclosure control. bron_status says why a value is missing: geen_data (no delivery for that
-- area and period) or niet_geleverd (the source withheld it). Indicators whose source is not delivered
-- come out as geen_data, never as 0. Survey/GGD estimates carry waarde_geleverd (and their interval)
-- instead of a teller; their noemer is the number of respondents.
-- Incremental by period: a night recomputes only the periods of int_perioden_gewijzigd.
with catalogus as (
    select * from {{ ref('indicator_catalogus') }}
),

-- the periods this build computes (an incremental night: only those int_perioden_gewijzigd names)
perioden as (
    select p.*
    from {{ ref('int_perioden') }} as p
    where {{ alleen_gewijzigde_perioden('p') }}
),

gebieden as (
    select
        gebiedcode,
        niveau,
        gemeentecode
    from {{ ref('int_geografie_referentie') }}
    where niveau in ('gemeente', 'wijk')
),

-- Counted indicators: the matching categories over the months (quarters) of the period, per wijk.
-- rol = teller or noemer (a noemer the source delivers itself, e.g. corporatie dwellings); aggregatie =
-- som (flows) or gemiddelde (stocks such as dwellings: the mean over the observations of the period).
categorieen as (
    select
        c.indicator_code,
        c.teller_bron,
        c.categorie,
        c.rol,
        c.aggregatie,
        b.waarnemingen_per_jaar
    from {{ ref('indicator_categorieen') }} as c
    inner join {{ ref('bronnen') }} as b on c.teller_bron = b.bron
    where c.rol in ('teller', 'noemer')
),

gebeurtenis_indicatoren as (
    select
        indicator_code,
        teller_bron,
        max(waarnemingen_per_jaar) as waarnemingen_per_jaar,
        max(case when rol = 'noemer' then 1 else 0 end) = 1 as eigen_noemer
    from categorieen
    group by indicator_code, teller_bron
),

dekking as (
    select
        d.bron,
        d.wijkcode,
        p.periode,
        p.periode_type,
        count(distinct d.maand) as waarnemingen
    from {{ ref('int_dekking_maand') }} as d
    inner join perioden as p
        on d.maand between p.begin_maand and p.eind_maand
    group by d.bron, d.wijkcode, p.periode, p.periode_type
),

tellingen as (
    select
        c.indicator_code,
        p.periode,
        p.periode_type,
        e.wijkcode,
        sum(
            case
                when c.rol <> 'teller' then 0
                when c.aggregatie = 'gemiddelde' then 1.0 * e.aantal / c.waarnemingen_per_jaar
                else e.aantal
            end
        ) as teller,
        sum(
            case
                when c.rol <> 'noemer' then 0
                when c.aggregatie = 'gemiddelde' then 1.0 * e.aantal / c.waarnemingen_per_jaar
                else e.aantal
            end
        ) as noemer,
        max(case when e.achtergehouden then 1 else 0 end) as achtergehouden
    from {{ ref('int_gebeurtenissen_maand') }} as e
    inner join categorieen as c
        on e.bron = c.teller_bron and (c.categorie = '*' or e.categorie = c.categorie)
    inner join perioden as p
        on e.maand between p.begin_maand and p.eind_maand
    group by c.indicator_code, p.periode, p.periode_type, e.wijkcode
),

gebeurtenis_wijk as (
    select
        gi.indicator_code,
        p.periode,
        p.periode_type,
        g.gebiedcode,
        g.gemeentecode,
        case
            when coalesce(d.waarnemingen, 0) < gi.waarnemingen_per_jaar then 'geen_data'
            when t.achtergehouden = 1 then 'niet_geleverd'
        end as bron_status,
        case
            when coalesce(d.waarnemingen, 0) = gi.waarnemingen_per_jaar and coalesce(t.achtergehouden, 0) = 0
                then cast(coalesce(t.teller, 0) as double)
        end as teller,
        case
            when gi.eigen_noemer and coalesce(d.waarnemingen, 0) = gi.waarnemingen_per_jaar
                then cast(coalesce(t.noemer, 0) as double)
        end as noemer,
        cast(null as double) as waarde_geleverd,
        cast(null as double) as ondergrens,
        cast(null as double) as bovengrens
    from gebeurtenis_indicatoren as gi
    cross join perioden as p
    inner join gebieden as g on g.niveau = 'wijk'
    left join dekking as d
        on
            gi.teller_bron = d.bron
            and g.gebiedcode = d.wijkcode
            and p.periode = d.periode
            and p.periode_type = d.periode_type
    left join tellingen as t
        on
            gi.indicator_code = t.indicator_code
            and g.gebiedcode = t.wijkcode
            and p.periode = t.periode
            and p.periode_type = t.periode_type
),

-- A gemeente's count is the sum of its wijken, published only when every wijk delivered.
gebeurtenis_gemeente as (
    select
        indicator_code,
        periode,
        periode_type,
        gemeentecode as gebiedcode,
        gemeentecode,
        case
            when count(teller) = count(*) then null
            when max(case when bron_status = 'niet_geleverd' then 1 else 0 end) = 1 then 'niet_geleverd'
            else 'geen_data'
        end as bron_status,
        case when count(teller) = count(*) then sum(teller) end as teller,
        case when count(teller) = count(*) then sum(noemer) end as noemer,
        cast(null as double) as waarde_geleverd,
        cast(null as double) as ondergrens,
        cast(null as double) as bovengrens
    from gebeurtenis_wijk
    group by indicator_code, periode, periode_type, gemeentecode
),

-- Survey and GGD estimates: the value of the level itself (wijk or gemeente row) as delivered.
schattingen as (
    select
        c.indicator_code,
        e.periode,
        e.periode_type,
        e.gebiedcode,
        case when e.waarde is null then 'niet_geleverd' end as bron_status,
        cast(null as double) as teller,
        cast(e.respondenten as double) as noemer,
        e.waarde as waarde_geleverd,
        e.ondergrens,
        e.bovengrens
    from {{ ref('int_enquete_per_periode') }} as e
    inner join {{ ref('indicator_categorieen') }} as c
        on e.bron = c.teller_bron and e.indicator = c.categorie and c.rol = 'schatting'
),

-- CBS indicators: the value of the level itself (CBS rounds; sums of wijken need not match).
cbs as (
    select
        c.indicator_code,
        k.periode,
        k.periode_type,
        k.gebiedcode,
        case when k.waarde is null then 'niet_geleverd' end as bron_status,
        case
            when c.teller_is_percentage then round(k.waarde * n.waarde / 100.0, 0)
            else k.waarde
        end as teller,
        cast(null as double) as noemer,
        cast(null as double) as waarde_geleverd,
        cast(null as double) as ondergrens,
        cast(null as double) as bovengrens
    from catalogus as c
    inner join {{ ref('int_kerncijfers_per_periode') }} as k on c.teller_kolom = k.kolom
    left join {{ ref('int_kerncijfers_per_periode') }} as n
        on
            c.noemer_kolom = n.kolom
            and k.periode = n.periode
            and k.periode_type = n.periode_type
            and k.gebiedcode = n.gebiedcode
    where c.teller_bron = 'cbs__kerncijfers'
),

tellers as (
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller,
        noemer,
        waarde_geleverd,
        ondergrens,
        bovengrens
    from gebeurtenis_wijk
    union all
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller,
        noemer,
        waarde_geleverd,
        ondergrens,
        bovengrens
    from gebeurtenis_gemeente
    union all
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller,
        noemer,
        waarde_geleverd,
        ondergrens,
        bovengrens
    from schattingen
    union all
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller,
        noemer,
        waarde_geleverd,
        ondergrens,
        bovengrens
    from cbs
),

-- The noemer is the source's own (respondents, corporatie dwellings, woningbranden) or else the CBS
-- kerncijfers column of the catalogue.
lokaal as (
    select
        c.indicator_code,
        p.periode,
        p.periode_type,
        g.gebiedcode,
        g.niveau,
        g.gemeentecode,
        coalesce(t.noemer, n.waarde) as noemer,
        case
            when t.indicator_code is null then 'geen_data'
            when t.bron_status is not null then t.bron_status
            when c.noemer_kolom is not null and t.noemer is null and n.gebiedcode is null then 'geen_data'
            when c.noemer_kolom is not null and t.noemer is null and n.waarde is null then 'niet_geleverd'
        end as bron_status,
        t.teller,
        t.waarde_geleverd,
        t.ondergrens,
        t.bovengrens
    from catalogus as c
    cross join perioden as p
    cross join gebieden as g
    left join tellers as t
        on
            c.indicator_code = t.indicator_code
            and p.periode = t.periode
            and p.periode_type = t.periode_type
            and g.gebiedcode = t.gebiedcode
    left join {{ ref('int_kerncijfers_per_periode') }} as n
        on
            c.noemer_kolom = n.kolom
            and p.periode = n.periode
            and p.periode_type = n.periode_type
            and g.gebiedcode = n.gebiedcode
),

-- The region is pooled: sum of tellers over sum of noemers of the wijken where both are known; for
-- estimates the respondent-weighted mean of the wijk estimates (the same pooling with teller =
-- estimate x respondents).
regio as (
    select
        indicator_code,
        periode,
        periode_type,
        '{{ var("regiocode") }}' as gebiedcode,
        'regio' as niveau,
        cast(null as varchar) as gemeentecode,
        sum(case when bron_status is null then noemer end) as noemer,
        case when count(case when bron_status is null then 1 end) = 0 then 'geen_data' end as bron_status,
        sum(case when bron_status is null then teller end) as teller,
        sum(case when bron_status is null then waarde_geleverd * noemer end)
        / nullif(sum(case when bron_status is null and waarde_geleverd is not null then noemer end), 0)
            as waarde_geleverd,
        cast(null as double) as ondergrens,
        cast(null as double) as bovengrens
    from lokaal
    where niveau = 'wijk'
    group by indicator_code, periode, periode_type
)

select
    indicator_code,
    periode,
    periode_type,
    gebiedcode,
    niveau,
    gemeentecode,
    teller,
    noemer,
    waarde_geleverd,
    ondergrens,
    bovengrens,
    bron_status
from lokaal

union all

select
    indicator_code,
    periode,
    periode_type,
    gebiedcode,
    niveau,
    gemeentecode,
    teller,
    noemer,
    waarde_geleverd,
    ondergrens,
    bovengrens,
    bron_status
from regio
