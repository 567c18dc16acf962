-- What disclosure control needs to know of each indicator (docs/methodology.md, "Disclosure control"):
-- its privacy class and minimum noemer, whether its figures add up from wijk to gemeente to region
-- (hierarchie 'som': counted sources; 'gepoold': a survey percentage whose region value pools the persons
-- behind the wijk values; null: CBS figures and scale scores, which do not add up), whether its teller
-- counts whole events (a mean over quarters does not), whether the source delivers the noemer itself (then a
-- noemer of 0 means there was nothing to count: a teller of 0 that describes nobody), and the catalogue's
-- noemer rules.
with schattingen as (
    select distinct indicator_code
    from {{ ref('indicator_categorieen') }}
    where rol = 'schatting'
),

gemiddelden as (
    select distinct indicator_code
    from {{ ref('indicator_categorieen') }}
    where rol = 'teller' and aggregatie = 'gemiddelde'
),

eigen_noemers as (
    select distinct indicator_code
    from {{ ref('indicator_categorieen') }}
    where rol = 'noemer'
)

select
    c.indicator_code,
    c.privacy_klasse,
    c.minimum_noemer,
    case
        when b.bron is not null then 'som'
        when s.indicator_code is not null and c.eenheid = '%' then 'gepoold'
    end as hierarchie,
    g.indicator_code is null as teller_geheel,
    e.indicator_code is not null as noemer_uit_bron,
    c.teller_max_noemer,
    c.noemer_is_telling
from {{ ref('indicator_catalogus') }} as c
left join {{ ref('bronnen') }} as b on c.teller_bron = b.bron
left join schattingen as s on c.indicator_code = s.indicator_code
left join gemiddelden as g on c.indicator_code = g.indicator_code
left join eigen_noemers as e on c.indicator_code = e.indicator_code
