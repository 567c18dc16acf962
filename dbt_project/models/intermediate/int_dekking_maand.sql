{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ verwijder_maanden() }}") }}
-- depends_on: {{ ref('int_maanden_gewijzigd') }}
-- Incremental by (bron, maand): a night recomputes only the months of int_maanden_gewijzigd.
-- Which months (quarters: their last month) each counted source delivered for each wijk of the reference
-- geography. A wijk-month without a delivery is geen_data, never zero.
-- politie: the (month, wijk) rows delivered. meldingen: every wijk of a gemeente for each monthly file.
-- handhaving: every wijk of a gemeente, for the months of its yearly workbook up to the newest month any
-- BOA workbook of that year reaches (a workbook is re-delivered monthly with the year so far).
-- brandweer: every wijk for each monthly file (one file covers the region). corporatie: every wijk for
-- each quarter some corporation delivered (a wijk without corporatie dwellings has noemer 0).
with wijken as (
    select
        gebiedcode as wijkcode,
        gemeentecode
    from {{ ref('int_geografie_referentie') }}
    where niveau = 'wijk'
),

politie as (
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

per_gemeente as (
    select distinct
        'gemeente__meldingen' as bron,
        gemeentecode,
        bestand_maand as maand
    from {{ ref('stg_gemeente__meldingen') }}
),

handhaving_tot as (
    select
        bestand_jaar,
        max(maand) as laatste_maand
    from {{ ref('stg_gemeente__handhaving') }}
    group by bestand_jaar
),

maanden_van_het_jaar as (
    select m.maandnummer
    from (values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) as m (maandnummer)
),

handhaving as (
    select distinct
        'gemeente__handhaving' as bron,
        h.gemeentecode,
        cast(
            cast(h.bestand_jaar as varchar) || '-' || lpad(cast(n.maandnummer as varchar), 2, '0') || '-01'
            as date
        ) as maand
    from {{ ref('stg_gemeente__handhaving') }} as h
    inner join handhaving_tot as t on h.bestand_jaar = t.bestand_jaar
    inner join maanden_van_het_jaar as n on n.maandnummer <= extract(month from t.laatste_maand)
),

regio_breed as (
    select distinct
        'brandweer__incidenten' as bron,
        bestand_maand as maand
    from {{ ref('stg_brandweer__incidenten') }}
    union
    select distinct
        'corporatie__signalen' as bron,
        kwartaal_eind as maand
    from {{ ref('stg_corporatie__signalen') }}
),

dekking as (
    select
        p.bron,
        p.wijkcode,
        p.maand
    from politie as p
    inner join wijken as w on p.wijkcode = w.wijkcode

    union all

    select
        g.bron,
        w.wijkcode,
        g.maand
    from (
        select * from per_gemeente
        union all
        select * from handhaving
    ) as g
    inner join wijken as w on g.gemeentecode = w.gemeentecode

    union all

    select
        r.bron,
        w.wijkcode,
        r.maand
    from regio_breed as r
    cross join wijken as w
)

select
    x.bron,
    x.wijkcode,
    x.maand
from dekking as x
where {{ alleen_gewijzigde_maanden('x') }}
