select
    levering_id,
    partner || '__' || dataset as bron,
    partner || '/' || dataset as bron_label,
    bron_bestand,
    bron_sha256,
    bestand_periode,
    rijen_geaccepteerd,
    rijen_afgewezen,
    rijen_niet_gekoppeld,
    geladen_op
from {{ source('meta', 'leveringen') }}
