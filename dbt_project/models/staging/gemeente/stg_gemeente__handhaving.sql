with geleverd as (
    {{ nieuwste_levering(source('gemeente', 'handhaving'), ['gemeentecode', 'bestand_jaar']) }}
)

select
    gemeentecode,
    bestand_jaar,
    maand,
    feitcategorie,
    afdoening,
    buurtcode,
    wijkcode,
    koppeling,
    levering_id,
    bron_bestand
from geleverd
