{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ verwijder_perioden() }}") }}
-- depends_on: {{ ref('int_perioden_gewijzigd') }}, {{ ref('int_perioden') }}
-- Primary disclosure control on every value, and the figures a release would show for it
-- (docs/methodology.md, "Disclosure control"), in this order:
-- 1. no delivery: geen_data; a value withheld by the source: niet_geleverd;
-- 2. a noemer below the indicator's minimum_noemer: te_kleine_noemer (for estimates: respondents);
-- 3. a teller in the disclosure range (standaard 1-4, gevoelig 0-9; a mean over quarters by its size):
--    onderdrukt; a survey percentage with fewer than 5 (gevoelig 10) persons behind it or behind its
--    complement: onderdrukt; a noemer that is itself a count (noemer_is_telling) in the disclosure range:
--    onderdrukt;
-- 4. else ok.
-- teller_gepubliceerd is the teller rounded to a multiple of 5 (estimates: the percentage rounded to one
-- decimal) and noemer_gepubliceerd the noemer as published (a counting noemer rounded to 5 as well). Both
-- exist for every row with a value: secondary suppression (int_indicator_secundair) chooses from them.
-- grootte is public and orders the candidates for secondary suppression.
-- Incremental by period: a night recomputes only the periods of int_perioden_gewijzigd.
with regels as (
    select * from {{ ref('int_indicator_regels') }}
),

grenzen as (
    select
        indicator_code,
        case when privacy_klasse = 'gevoelig' then 10 else 5 end as ondergrens_ok
    from regels
),

met_status as (
    select
        t.*,
        r.privacy_klasse,
        r.noemer_is_telling,
        r.hierarchie,
        case
            when t.bron_status = 'geen_data' then 'geen_data'
            when t.bron_status is not null then 'niet_geleverd'
            when t.noemer is not null and t.noemer < r.minimum_noemer then 'te_kleine_noemer'
            when
                t.teller is not null
                and (
                    (r.privacy_klasse = 'gevoelig' and t.teller >= 0 and t.teller < 10)
                    or (r.privacy_klasse <> 'gevoelig' and t.teller > 0 and t.teller < 5)
                )
                then 'onderdrukt'
            when
                t.waarde_geleverd is not null and r.hierarchie = 'gepoold'
                and (
                    t.waarde_geleverd * t.noemer / 100.0 < g.ondergrens_ok
                    or (100 - t.waarde_geleverd) * t.noemer / 100.0 < g.ondergrens_ok
                )
                then 'onderdrukt'
            when
                r.noemer_is_telling
                and (
                    (r.privacy_klasse = 'gevoelig' and t.noemer >= 0 and t.noemer < 10)
                    or (r.privacy_klasse <> 'gevoelig' and t.noemer > 0 and t.noemer < 5)
                )
                then 'onderdrukt'
            else 'ok'
        end as status
    from {{ ref('int_indicator_teller') }} as t
    inner join regels as r on t.indicator_code = r.indicator_code
    inner join grenzen as g on t.indicator_code = g.indicator_code
    where {{ alleen_gewijzigde_perioden('t') }}
)

select
    indicator_code,
    periode,
    periode_type,
    gebiedcode,
    niveau,
    gemeentecode,
    teller,
    noemer,
    waarde_geleverd,
    ondergrens,
    bovengrens,
    status,
    case
        when status in ('geen_data', 'niet_geleverd') then null
        when waarde_geleverd is not null then round(waarde_geleverd, 1)
        else round(teller / 5.0, 0) * 5
    end as teller_gepubliceerd,
    case
        when noemer_is_telling then round(noemer / 5.0, 0) * 5
        else noemer
    end as noemer_gepubliceerd,
    case
        when noemer_is_telling then round(noemer / 5.0, 0) * 5
        else coalesce(noemer, teller, 0)
    end as grootte
from met_status
