-- Lineage: for each source and period, the delivered files whose rows are behind the published values
-- (after re-deliveries: only the deliveries that won for some month and area).
with gebruikt as (
    select distinct
        'politie__misdrijven' as bron,
        levering_id,
        maand
    from {{ ref('stg_politie__misdrijven') }}
    union
    select distinct
        'politie__incidenten' as bron,
        levering_id,
        maand
    from {{ ref('stg_politie__incidenten') }}
    union
    select distinct
        'gemeente__meldingen' as bron,
        levering_id,
        bestand_maand as maand
    from {{ ref('stg_gemeente__meldingen') }}
    union
    select distinct
        'gemeente__handhaving' as bron,
        levering_id,
        maand
    from {{ ref('stg_gemeente__handhaving') }}
    union
    select distinct
        'brandweer__incidenten' as bron,
        levering_id,
        maand
    from {{ ref('stg_brandweer__incidenten') }}
    union
    select distinct
        'corporatie__signalen' as bron,
        levering_id,
        kwartaal_eind as maand
    from {{ ref('stg_corporatie__signalen') }}
),

per_periode as (
    select distinct
        g.levering_id,
        p.periode,
        p.periode_type
    from gebruikt as g
    inner join {{ ref('int_perioden') }} as p on g.maand between p.begin_maand and p.eind_maand
    union
    select distinct
        levering_id,
        periode,
        periode_type
    from {{ ref('int_kerncijfers_per_periode') }}
    union
    select distinct
        levering_id,
        periode,
        periode_type
    from {{ ref('int_enquete_per_periode') }}
)

select
    l.bron_label as bron,
    p.periode,
    p.periode_type,
    l.bron_bestand,
    l.bron_sha256,
    l.rijen_geaccepteerd,
    l.rijen_afgewezen,
    l.rijen_niet_gekoppeld,
    l.geladen_op
from per_periode as p
inner join {{ ref('stg_meta__leveringen') }} as l on p.levering_id = l.levering_id
