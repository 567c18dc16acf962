with geleverd as (
    {{ nieuwste_levering(source('corporatie', 'signalen'), ['corporatie', 'kwartaal']) }}
)

select
    corporatie,
    kwartaal,
    kwartaal_begin,
    cast({{ dbt.dateadd('month', 2, 'kwartaal_begin') }} as date) as kwartaal_eind,
    pc6,
    verhuureenheden,
    overlastmeldingen,
    woningvervuiling,
    huurachterstand_2mnd,
    ontruimingen,
    mutaties,
    buurtcode,
    wijkcode,
    koppeling,
    levering_id,
    bron_bestand
from geleverd
