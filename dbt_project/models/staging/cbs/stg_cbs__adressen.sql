with geleverd as (
    {{ nieuwste_levering(source('cbs', 'adressen'), ['jaar']) }}
)

select
    jaar,
    pc6,
    huisnummer,
    buurt as buurtcode,
    wijk as wijkcode,
    gemeente as gemeentecode,
    levering_id
from geleverd
