with geleverd as (
    {{ nieuwste_levering(source('politie', 'incidenten'), ['maand', 'wijken_en_buurten']) }}
)

select
    maand,
    wijken_en_buurten as gebiedcode,
    soort_incident as categorie,
    incidenten as aantal,
    levering_id,
    bron_bestand
from geleverd
