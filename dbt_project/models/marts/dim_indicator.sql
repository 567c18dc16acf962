-- The indicator catalogue as published (the seed indicator_catalogus holds it as data).
select
    indicator_code,
    naam,
    domein,
    definitie,
    eenheid,
    polariteit,
    bron,
    privacy_klasse,
    minimum_noemer,
    in_index,
    noemer_is_telling,
    teller_max_noemer
from {{ ref('indicator_catalogus') }}
