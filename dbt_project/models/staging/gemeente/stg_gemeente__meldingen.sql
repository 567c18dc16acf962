with geleverd as (
    {{ nieuwste_levering(source('gemeente', 'meldingen'), ['gemeentecode', 'bestand_maand']) }}
)

select
    melding_nr,
    gemeentecode,
    bestand_maand,
    maand,
    categorie,
    wijkcode,
    buurtcode,
    koppeling,
    levering_id,
    bron_bestand
from geleverd
