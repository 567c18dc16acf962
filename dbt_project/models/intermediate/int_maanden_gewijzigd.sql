-- The (bron, maand) pairs whose monthly counts or coverage a build must (re)compute: for an incremental
-- night, the months of every delivery after the last build (var levering_sinds) and of the rows those
-- deliveries replace (newest delivery wins per key, see macros/nieuwste_levering.sql); for a full build,
-- every month. A yearly BOA workbook touches every month of its year (coverage runs to the newest month of
-- any workbook of that year); a corporatie quarter is counted in its last month.
with maanden_van_het_jaar as (
    select m.maandnummer
    from (values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) as m (maandnummer)
),

handhaving_jaren as (
    {{ gewijzigde_maanden('gemeente__handhaving', source('gemeente', 'handhaving'),
        ['gemeentecode', 'bestand_jaar'], ["cast(r.bestand_jaar as varchar) || '-01-01'"]) }}
)

{{ gewijzigde_maanden('politie__misdrijven', source('politie', 'misdrijven'),
    ['maand', 'wijken_en_buurten'], ['r.maand']) }}
union
{{ gewijzigde_maanden('politie__incidenten', source('politie', 'incidenten'),
    ['maand', 'wijken_en_buurten'], ['r.maand']) }}
union
{{ gewijzigde_maanden('gemeente__meldingen', source('gemeente', 'meldingen'),
    ['gemeentecode', 'bestand_maand'], ['r.maand', 'r.bestand_maand']) }}
union
{{ gewijzigde_maanden('brandweer__incidenten', source('brandweer', 'incidenten'),
    ['incident_id'], ['r.maand', 'r.bestand_maand']) }}
union
{{ gewijzigde_maanden('corporatie__signalen', source('corporatie', 'signalen'),
    ['corporatie', 'kwartaal'], [dbt.dateadd('month', 2, 'r.kwartaal_begin')]) }}
union
select
    j.bron,
    cast({{ dbt.dateadd('month', 'n.maandnummer - 1', 'j.maand') }} as date) as maand
from handhaving_jaren as j
cross join maanden_van_het_jaar as n
