with geleverd as (
    {{ nieuwste_levering(source('gemeente', 'veiligheidsmonitor'), ['jaar', 'gebiedcode', 'indicator']) }}
)

select
    jaar,
    gebiedcode,
    indicator,
    cast(waarde as double) as waarde,
    cast(null as double) as ondergrens,
    cast(null as double) as bovengrens,
    respondenten,
    levering_id,
    bron_bestand
from geleverd
