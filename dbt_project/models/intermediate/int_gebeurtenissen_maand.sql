{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ verwijder_maanden() }}") }}
-- depends_on: {{ ref('int_maanden_gewijzigd') }}
-- Incremental by (bron, maand): a night recomputes only the months of int_maanden_gewijzigd.
-- Monthly counts per wijk, source and category, with the months each source covers per wijk.
-- politie: the wijk rows as delivered (gemeente and buurt rows are not used: gemeente values are the sum
-- of their wijken). meldingen, handhaving, brandweer: one per record, counted per mapped wijk and month.
-- brandweer counts only incidents where a unit arrived (ter_plaatse); a Woningbrand also counts under
-- 'Woningbrand rookmelder <status>' (for B02). corporatie: the quarter's values summed over PC6 codes
-- and corporations, counted in the quarter's last month (one observation per quarter).
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
        maand
    from {{ ref('stg_gemeente__meldingen') }}
    where wijkcode is not null
    union all
    select
        'gemeente__handhaving' as bron,
        feitcategorie as categorie,
        wijkcode,
        maand
    from {{ ref('stg_gemeente__handhaving') }}
    where wijkcode is not null
    union all
    select
        'brandweer__incidenten' as bron,
        incidentsoort as categorie,
        wijkcode,
        maand
    from {{ ref('stg_brandweer__incidenten') }}
    where wijkcode is not null and ter_plaatse
    union all
    select
        'brandweer__incidenten' as bron,
        'Woningbrand rookmelder ' || rookmelder as categorie,
        wijkcode,
        maand
    from {{ ref('stg_brandweer__incidenten') }}
    where
        wijkcode is not null and ter_plaatse
        and incidentsoort = 'Woningbrand' and rookmelder is not null
),

corporatie_lang as (
    {{ kolommen_lang(ref('stg_corporatie__signalen'),
        ['verhuureenheden', 'overlastmeldingen', 'woningvervuiling', 'huurachterstand_2mnd', 'ontruimingen',
         'mutaties'],
        ['wijkcode', 'kwartaal_eind']) }}
),

corporatie as (
    select
        'corporatie__signalen' as bron,
        categorie,
        wijkcode,
        kwartaal_eind as maand,
        sum(aantal) as aantal,
        -- an empty cell is withheld by the corporation, never zero
        max(case when aantal is null then 1 else 0 end) = 1 as achtergehouden
    from corporatie_lang
    where wijkcode is not null
    group by categorie, wijkcode, kwartaal_eind
),

maandtellingen as (
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
        count(*) as aantal,
        false as achtergehouden
    from meldingen
    group by bron, categorie, wijkcode, maand

    union all

    select
        bron,
        categorie,
        wijkcode,
        maand,
        aantal,
        achtergehouden
    from corporatie
)

select
    x.bron,
    x.categorie,
    x.wijkcode,
    x.maand,
    x.aantal,
    x.achtergehouden
from maandtellingen as x
where {{ alleen_gewijzigde_maanden('x') }}
