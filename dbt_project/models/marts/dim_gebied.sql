-- The areas of the reference geography: the region, its gemeenten and their wijken, with their shape for maps.
with referentiejaar as (
    select distinct geografie_jaar from {{ ref('int_geografie_referentie') }}
),

kerncijfers as (
    select
        k.gwb_code,
        k.a_inw,
        k.a_woning,
        k.a_hh
    from {{ ref('stg_cbs__kerncijfers') }} as k
    inner join referentiejaar as r on k.jaar = r.geografie_jaar
),

gebieden as (
    select
        g.gebiedcode,
        g.gebiedsnaam,
        g.niveau,
        g.gemeentecode,
        g.gemeentenaam,
        g.geografie_jaar,
        k.a_inw as inwoners,
        k.a_woning as woningen,
        k.a_hh as huishoudens,
        v.geometrie_wkt
    from {{ ref('int_geografie_referentie') }} as g
    left join kerncijfers as k on g.gebiedcode = k.gwb_code
    left join {{ ref('int_gebied_vormen') }} as v on g.gebiedcode = v.gebiedcode
)

select
    gebiedcode,
    gebiedsnaam,
    niveau,
    gemeentecode,
    gemeentenaam,
    geografie_jaar,
    inwoners,
    woningen,
    huishoudens,
    geometrie_wkt
from gebieden
where niveau <> 'regio'

union all

select
    r.gebiedcode,
    r.gebiedsnaam,
    r.niveau,
    r.gemeentecode,
    r.gemeentenaam,
    r.geografie_jaar,
    cast(sum(g.inwoners) as bigint) as inwoners,
    cast(sum(g.woningen) as bigint) as woningen,
    cast(sum(g.huishoudens) as bigint) as huishoudens,
    r.geometrie_wkt
from gebieden as r
cross join gebieden as g
where r.niveau = 'regio' and g.niveau = 'gemeente'
group by r.gebiedcode, r.gebiedsnaam, r.niveau, r.gemeentecode, r.gemeentenaam, r.geografie_jaar, r.geometrie_wkt
