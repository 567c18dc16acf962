with geleverd as (
    {{ nieuwste_levering(source('ggd', 'gezondheidsmonitor'), ['jaar', 'gebiedcode', 'indicator']) }}
)

select
    jaar,
    gebiedcode,
    indicator,
    cast(percentage as double) as waarde,
    cast(ondergrens as double) as ondergrens,
    cast(bovengrens as double) as bovengrens,
    respondenten,
    levering_id,
    bron_bestand
from geleverd
