-- The reference geography the mart reports on: the region, its gemeenten and their wijken in the
-- reference year (the newest cbs/kerncijfers year delivered, or var referentiejaar).
with referentie as (
    select
        {% if var('referentiejaar') %}
            {{ var('referentiejaar') }}
        {% else %}
            max(jaar)
        {% endif %} as geografie_jaar
    from {{ ref('stg_cbs__kerncijfers') }}
),

-- The region's gemeenten: the seed regio_gemeenten, or (var alle_gemeenten, e.g. a national run) every
-- gemeente of the reference geography.
regio_gemeenten as (
    {% if var('alle_gemeenten') | string | lower in ('true', '1', 'yes') %}
        select
            k.gemeentecode,
            k.gebiedsnaam as gemeentenaam
        from {{ ref('stg_cbs__kerncijfers') }} as k
        inner join referentie as r on k.jaar = r.geografie_jaar
        where k.niveau = 'gemeente'
    {% else %}
        select
            gemeentecode,
            gemeentenaam
        from {{ ref('regio_gemeenten') }}
    {% endif %}
),

gebieden as (
    select
        k.gwb_code as gebiedcode,
        k.gebiedsnaam,
        k.niveau,
        g.gemeentecode,
        g.gemeentenaam,
        r.geografie_jaar
    from {{ ref('stg_cbs__kerncijfers') }} as k
    inner join referentie as r on k.jaar = r.geografie_jaar
    inner join regio_gemeenten as g on k.gemeentecode = g.gemeentecode
    where k.niveau in ('gemeente', 'wijk')
)

select
    '{{ var("regiocode") }}' as gebiedcode,
    '{{ var("regionaam") }}' as gebiedsnaam,
    'regio' as niveau,
    cast(null as varchar) as gemeentecode,
    cast(null as varchar) as gemeentenaam,
    geografie_jaar
from referentie
where geografie_jaar is not null

union all

select
    gebiedcode,
    gebiedsnaam,
    niveau,
    gemeentecode,
    gemeentenaam,
    geografie_jaar
from gebieden
