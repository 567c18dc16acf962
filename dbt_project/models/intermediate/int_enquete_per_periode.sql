-- Survey and GGD estimates per period: the survey of the period's own year for 'jaar', and the newest
-- survey year up to the year of the period's last month for '12mnd'. Estimates are taken as delivered
-- (no teller); respondenten is the noemer that minimum_noemer applies to.
with enquetes as (
    select
        'gemeente__veiligheidsmonitor' as bron,
        jaar,
        gebiedcode,
        indicator,
        waarde,
        ondergrens,
        bovengrens,
        respondenten,
        levering_id
    from {{ ref('stg_gemeente__veiligheidsmonitor') }}
    union all
    select
        'ggd__gezondheidsmonitor' as bron,
        jaar,
        gebiedcode,
        indicator,
        waarde,
        ondergrens,
        bovengrens,
        respondenten,
        levering_id
    from {{ ref('stg_ggd__gezondheidsmonitor') }}
),

jaren as (
    select distinct
        bron,
        jaar
    from enquetes
),

keuze as (
    select
        p.periode,
        p.periode_type,
        j.bron,
        case
            when p.periode_type = 'jaar' then max(case when j.jaar = p.peiljaar then j.jaar end)
            else max(case when j.jaar <= p.peiljaar then j.jaar end)
        end as enquete_jaar
    from {{ ref('int_perioden') }} as p
    cross join jaren as j
    group by p.periode, p.periode_type, p.peiljaar, j.bron
)

select
    k.periode,
    k.periode_type,
    k.bron,
    e.jaar as enquete_jaar,
    e.gebiedcode,
    e.indicator,
    e.waarde,
    e.ondergrens,
    e.bovengrens,
    e.respondenten,
    e.levering_id
from keuze as k
inner join enquetes as e on k.bron = e.bron and k.enquete_jaar = e.jaar
