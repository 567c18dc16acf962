-- Monthly event counts per wijk, source and category, with the months each source covers per wijk.
-- politie: the wijk rows as delivered (gemeente and buurt rows are not used: gemeente values are the sum
-- of their wijken). meldingen: counted per mapped wijk and month of the melding; a gemeente covers the
-- months it delivered a file for.
with politie as (
    select
        'politie__misdrijven' as bron,
        categorie,
        gebiedcode as wijkcode,
        maand,
        aantal
    from {{ ref('stg_politie__misdrijven') }}
    where gebiedcode like 'WK%'
    union all
    select
        'politie__incidenten' as bron,
        categorie,
        gebiedcode as wijkcode,
        maand,
        aantal
    from {{ ref('stg_politie__incidenten') }}
    where gebiedcode like 'WK%'
),

meldingen as (
    select
        'gemeente__meldingen' as bron,
        categorie,
        wijkcode,
        maand,
        count(*) as aantal
    from {{ ref('stg_gemeente__meldingen') }}
    where wijkcode is not null
    group by categorie, wijkcode, maand
)

select
    bron,
    categorie,
    wijkcode,
    maand,
    sum(aantal) as aantal,
    -- An empty count is withheld by the source: never read it as zero.
    max(case when aantal is null then 1 else 0 end) = 1 as achtergehouden
from politie
group by bron, categorie, wijkcode, maand

union all

select
    bron,
    categorie,
    wijkcode,
    maand,
    aantal,
    false as achtergehouden
from meldingen
