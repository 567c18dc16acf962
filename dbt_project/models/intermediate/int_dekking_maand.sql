-- Which months each monthly source delivered for each wijk of the reference geography. A wijk-month
-- without a delivery is geen_data, never zero.
with politie as (
    select distinct
        'politie__misdrijven' as bron,
        gebiedcode as wijkcode,
        maand
    from {{ ref('stg_politie__misdrijven') }}
    union
    select distinct
        'politie__incidenten' as bron,
        gebiedcode as wijkcode,
        maand
    from {{ ref('stg_politie__incidenten') }}
),

meldingen as (
    select distinct
        'gemeente__meldingen' as bron,
        g.gebiedcode as wijkcode,
        m.bestand_maand as maand
    from {{ ref('stg_gemeente__meldingen') }} as m
    inner join {{ ref('int_geografie_referentie') }} as g
        on m.gemeentecode = g.gemeentecode and g.niveau = 'wijk'
)

select
    p.bron,
    p.wijkcode,
    p.maand
from politie as p
inner join {{ ref('int_geografie_referentie') }} as g
    on p.wijkcode = g.gebiedcode and g.niveau = 'wijk'

union all

select
    bron,
    wijkcode,
    maand
from meldingen
