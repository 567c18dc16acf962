with geleverd as (
    {{ nieuwste_levering(source('politie', 'misdrijven'), ['maand', 'wijken_en_buurten']) }}
)

select
    maand,
    wijken_en_buurten as gebiedcode,
    soort_misdrijf as categorie,
    geregistreerde_misdrijven as aantal,
    levering_id,
    bron_bestand
from geleverd
