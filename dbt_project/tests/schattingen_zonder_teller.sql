{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_waarde'}}}) }}
-- Survey and GGD estimates are published as delivered: no teller (there is no count to round or add up).
select
    f.gebiedcode,
    f.indicator_code,
    f.periode,
    f.periode_type,
    f.teller
from {{ ref('fct_indicator_waarde') }} as f
inner join {{ ref('indicator_categorieen') }} as c
    on f.indicator_code = c.indicator_code and c.rol = 'schatting'
where f.teller is not null
