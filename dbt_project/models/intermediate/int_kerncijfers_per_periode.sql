-- The CBS kerncijfers behind each period: the year of the period if delivered, else the newest delivered
-- year before it, else the oldest delivered year. Long format (kolom, waarde) per gebied; the region's
-- gemeenten and wijken of the reference geography only.
with jaren as (
    select distinct jaar from {{ ref('stg_cbs__kerncijfers') }}
),

keuze as (
    select
        p.periode,
        p.periode_type,
        coalesce(
            max(case when j.jaar = p.peiljaar then j.jaar end),
            max(case when j.jaar < p.peiljaar then j.jaar end),
            min(j.jaar)
        ) as kerncijfers_jaar
    from {{ ref('int_perioden') }} as p
    cross join jaren as j
    group by p.periode, p.periode_type
),

lang as (
    {{ unpivot_kerncijfers(ref('stg_cbs__kerncijfers'),
        ['a_inw', 'a_65_oo', 'a_hh', 'a_1p_hh', 'a_woning', 'p_wcorpw', 'p_hh_li']) }}
)

select
    k.periode,
    k.periode_type,
    k.kerncijfers_jaar,
    g.gebiedcode,
    l.kolom,
    l.waarde,
    l.levering_id
from keuze as k
inner join lang as l on k.kerncijfers_jaar = l.jaar
inner join {{ ref('int_geografie_referentie') }} as g on l.gwb_code = g.gebiedcode
