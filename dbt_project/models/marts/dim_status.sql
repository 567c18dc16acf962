-- The status codes of the published values, each with its Dutch explanation (the seed statussen holds them as
-- data).
select
    status,
    omschrijving,
    heeft_waarde,
    geldt_voor
from {{ ref('statussen') }}
