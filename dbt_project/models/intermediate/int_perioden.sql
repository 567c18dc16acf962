-- The published periods: complete calendar years ('jaar') and the rolling 12 months ('12mnd') ending
-- with the last month that every delivering monthly source covers (politie, meldingen, handhaving,
-- brandweer; plus the same window a year earlier, for the change against last year).
-- periode_start and periode_eind are the first and last day of a period (the DATE columns BI tools filter on).
with maanden as (
    select
        'politie__misdrijven' as bron,
        maand
    from {{ ref('stg_politie__misdrijven') }}
    union all
    select
        'politie__incidenten' as bron,
        maand
    from {{ ref('stg_politie__incidenten') }}
    union all
    select
        'gemeente__meldingen' as bron,
        bestand_maand as maand
    from {{ ref('stg_gemeente__meldingen') }}
    union all
    select
        'gemeente__handhaving' as bron,
        maand
    from {{ ref('stg_gemeente__handhaving') }}
    union all
    select
        'brandweer__incidenten' as bron,
        bestand_maand as maand
    from {{ ref('stg_brandweer__incidenten') }}
),

per_bron as (
    select
        bron,
        min(maand) as eerste_maand,
        max(maand) as laatste_maand
    from maanden
    group by bron
),

grenzen as (
    select
        min(eerste_maand) as eerste_maand,
        min(laatste_maand) as laatste_maand
    from per_bron
),

jaren as (
    select distinct cast(extract(year from maand) as integer) as jaar
    from maanden
    union
    -- Without any monthly source, the CBS years still give periods for the CBS indicators.
    select distinct k.jaar
    from {{ ref('stg_cbs__kerncijfers') }} as k
    where not exists (select 1 from maanden)
),

volledige_jaren as (
    select j.jaar
    from jaren as j
    cross join grenzen as g
    where
        g.laatste_maand is null
        or (
            j.jaar < cast(extract(year from g.laatste_maand) as integer)
            or (
                j.jaar = cast(extract(year from g.laatste_maand) as integer)
                and extract(month from g.laatste_maand) = 12
            )
        )
),

vensters as (
    select
        0 as jaren_terug,
        laatste_maand as eind_maand
    from grenzen
    union all
    select
        1 as jaren_terug,
        {{ dbt.dateadd('month', -12, 'laatste_maand') }} as eind_maand
    from grenzen
),

twaalf_maanden as (
    select
        cast({{ dbt.dateadd('month', -11, 'v.eind_maand') }} as date) as begin_maand,
        cast(v.eind_maand as date) as eind_maand
    from vensters as v
    cross join grenzen as g
    where
        v.eind_maand is not null
        and {{ dbt.dateadd('month', -11, 'v.eind_maand') }} >= g.eerste_maand
),

perioden as (
    select
        cast(jaar as varchar) as periode,
        'jaar' as periode_type,
        cast(cast(jaar as varchar) || '-01-01' as date) as begin_maand,
        cast(cast(jaar as varchar) || '-12-01' as date) as eind_maand,
        jaar as peiljaar,
        cast(jaar - 1 as varchar) as vorige_periode
    from volledige_jaren

    union all

    select
        {{ maand_label('begin_maand') }} || '/' || {{ maand_label('eind_maand') }} as periode,
        '12mnd' as periode_type,
        begin_maand,
        eind_maand,
        cast(extract(year from eind_maand) as integer) as peiljaar,
        {{ maand_label(dbt.dateadd('month', -12, 'begin_maand')) }}
        || '/'
        || {{ maand_label(dbt.dateadd('month', -12, 'eind_maand')) }} as vorige_periode
    from twaalf_maanden
)

select
    periode,
    periode_type,
    begin_maand,
    eind_maand,
    peiljaar,
    vorige_periode,
    begin_maand as periode_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'eind_maand')) }} as date) as periode_eind
from perioden
