-- Teller and noemer of every catalogue indicator for every period and gebied (wijk, gemeente, regio),
-- before disclosure control. bron_status says why a value is missing: geen_data (no delivery for that
-- area and period) or niet_geleverd (the source withheld it). Indicators whose source is not delivered
-- come out as geen_data, never as 0.
with catalogus as (
    select * from {{ ref('indicator_catalogus') }}
),

gebieden as (
    select
        gebiedcode,
        niveau,
        gemeentecode
    from {{ ref('int_geografie_referentie') }}
    where niveau in ('gemeente', 'wijk')
),

-- Event indicators: count the matching categories over the months of the period, per wijk.
gebeurtenis_indicatoren as (
    select distinct
        indicator_code,
        teller_bron
    from {{ ref('indicator_categorieen') }}
),

dekking as (
    select
        d.bron,
        d.wijkcode,
        p.periode,
        p.periode_type,
        count(distinct d.maand) as maanden
    from {{ ref('int_dekking_maand') }} as d
    inner join {{ ref('int_perioden') }} as p
        on d.maand between p.begin_maand and p.eind_maand
    group by d.bron, d.wijkcode, p.periode, p.periode_type
),

tellingen as (
    select
        c.indicator_code,
        p.periode,
        p.periode_type,
        e.wijkcode,
        sum(e.aantal) as teller,
        max(case when e.achtergehouden then 1 else 0 end) as achtergehouden
    from {{ ref('int_gebeurtenissen_maand') }} as e
    inner join {{ ref('indicator_categorieen') }} as c
        on e.bron = c.teller_bron and (c.categorie = '*' or e.categorie = c.categorie)
    inner join {{ ref('int_perioden') }} as p
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
            when coalesce(d.maanden, 0) < 12 then 'geen_data'
            when t.achtergehouden = 1 then 'niet_geleverd'
        end as bron_status,
        case
            when coalesce(d.maanden, 0) = 12 and coalesce(t.achtergehouden, 0) = 0
                then cast(coalesce(t.teller, 0) as double)
        end as teller
    from gebeurtenis_indicatoren as gi
    cross join {{ ref('int_perioden') }} as p
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

-- A gemeente's event count is the sum of its wijken, published only when every wijk delivered.
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
        case when count(teller) = count(*) then sum(teller) end as teller
    from gebeurtenis_wijk
    group by indicator_code, periode, periode_type, gemeentecode
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
        end as teller
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
        teller
    from gebeurtenis_wijk
    union all
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller
    from gebeurtenis_gemeente
    union all
    select
        indicator_code,
        periode,
        periode_type,
        gebiedcode,
        bron_status,
        teller
    from cbs
),

lokaal as (
    select
        c.indicator_code,
        p.periode,
        p.periode_type,
        g.gebiedcode,
        g.niveau,
        g.gemeentecode,
        n.waarde as noemer,
        case
            when t.indicator_code is null then 'geen_data'
            when t.bron_status is not null then t.bron_status
            when c.noemer_kolom is not null and n.gebiedcode is null then 'geen_data'
            when c.noemer_kolom is not null and n.waarde is null then 'niet_geleverd'
        end as bron_status,
        t.teller
    from catalogus as c
    cross join {{ ref('int_perioden') }} as p
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

-- The region is pooled: sum of tellers over sum of noemers of the wijken where both are known.
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
        sum(case when bron_status is null then teller end) as teller
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
    bron_status
from regio
