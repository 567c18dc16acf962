with geleverd as (
    {{ nieuwste_levering(source('brandweer', 'incidenten'), ['incident_id']) }}
)

select
    incident_id,
    bestand_maand,
    maand,
    incidentsoort,
    prioriteit,
    ter_plaatse = 'ja' as ter_plaatse,
    rookmelder,
    buurtcode,
    wijkcode,
    koppeling,
    levering_id,
    bron_bestand
from geleverd
