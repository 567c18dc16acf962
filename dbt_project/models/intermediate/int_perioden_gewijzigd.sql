-- The published periods a build must (re)compute: every period when this is a full build or when a yearly
-- source (CBS kerncijfers or adressen, GGD, veiligheidsmonitor) delivered since the last build (they feed
-- every period: noemers, geography, estimates); else the periods the last build did not have (var
-- gebouwde_perioden: a 12-month window that moved on, and the window a year earlier with it) and the
-- periods whose months, or the months of the same window a year earlier (the change against last year, the
-- signals), hold a month of int_maanden_gewijzigd.
{%- set gebouwd = var('gebouwde_perioden', []) %}
{%- set sinds = var('levering_sinds', none) %}

with jaarbronnen as (
    select
        {{ sinds is none }}
        or exists (
            select 1
            from {{ ref('stg_meta__leveringen') }}
            where
                levering_id > {{ -1 if sinds is none else sinds }}
                and bron in (
                    'cbs__kerncijfers', 'cbs__adressen', 'ggd__gezondheidsmonitor', 'gemeente__veiligheidsmonitor'
                )
        ) as alles
),

maanden as (
    select distinct maand
    from {{ ref('int_maanden_gewijzigd') }}
)

select
    p.periode,
    p.periode_type
from {{ ref('int_perioden') }} as p
cross join jaarbronnen as j
where
    j.alles
    or p.periode || '|' || p.periode_type not in (
        {%- for periode in gebouwd %}'{{ periode }}'{{ ", " if not loop.last }}{%- endfor %}
        {%- if not gebouwd %}''{% endif %}
    )
    or exists (
        select 1
        from maanden as m
        where
            m.maand between p.begin_maand and p.eind_maand
            or m.maand between {{ dbt.dateadd('month', -12, 'p.begin_maand') }}
            and {{ dbt.dateadd('month', -12, 'p.eind_maand') }}
    )
