-- Baseline (b) of the benchmark: the platform's core transformations as ONE hand-written DuckDB script,
-- with no orchestration, no ingest validation, no quarantine, no provenance and no quality gate.
-- It reads the partner files straight from the landing folder and builds the indicator values of the
-- CSV sources (politie misdrijven/incidenten, gemeente meldingen, brandweer incidenten, CBS kerncijfers
-- and adressen) per wijk, gemeente and region, for complete years and the rolling 12 months, with the
-- same period, coverage, newest-delivery, address-mapping, noemer, disclosure (primary), index, z-score
-- and rank rules as the dbt models. Not in it: the Excel sources (DuckDB needs a downloaded extension
-- for xlsx), complementary suppression, domain scores, signals. So (b) does less than (a): the ratio
-- full/(b) in docs/benchmark.md is, if anything, unfavourable to the platform.
--
-- benchmarks/baseline.py fills in the placeholders: {landing} (the landing folder), {meldingen} (the
-- meldingen files, transcoded from CP1252 to UTF-8: DuckDB reads CP1252 only with a downloaded extension),
-- {seeds} (dbt_project/seeds: the catalogue is data), {region} (a SQL condition on gemeentecode).

create or replace table seed_catalogus as
select * from read_csv('{seeds}/indicator_catalogus.csv', header = true, all_varchar = true);

create or replace table seed_categorieen as
select * from read_csv('{seeds}/indicator_categorieen.csv', header = true, all_varchar = true);

create or replace table seed_regio as
select * from read_csv('{seeds}/regio_gemeenten.csv', header = true, all_varchar = true);

-- staging -----------------------------------------------------------------------------------------

create or replace table kerncijfers as
with gelezen as (
    select
        cast(regexp_extract(filename, 'kwb-(\d{4})\.csv$', 1) as integer) as jaar,
        filename,
        upper(trim(gwb_code)) as gwb_code,
        a_inw, a_65_oo, a_hh, a_1p_hh, a_woning, p_wcorpw, p_hh_li
    from read_csv('{landing}/cbs/kerncijfers/kwb-*.csv', delim = ';', header = true, decimal_separator = ',',
        nullstr = '.', filename = true, union_by_name = true,
        types = {'a_inw': 'DOUBLE', 'a_65_oo': 'DOUBLE', 'a_hh': 'DOUBLE', 'a_1p_hh': 'DOUBLE',
                 'a_woning': 'DOUBLE', 'p_wcorpw': 'DOUBLE', 'p_hh_li': 'DOUBLE'})
)
select * exclude (filename, rn)
from (select *, row_number() over (partition by jaar, gwb_code order by filename desc) as rn from gelezen)
where rn = 1;

create or replace table adressen as
select distinct
    upper(replace(trim("PC6"), ' ', '')) as pc6,
    cast("Huisnummer" as integer) as huisnummer,
    'BU' || trim(cast("Buurt" as varchar)) as buurtcode,
    'WK' || trim(cast("Wijk" as varchar)) as wijkcode
from read_csv('{landing}/cbs/adressen/pc6hnr-*.csv', delim = ';', header = true, all_varchar = true);

create or replace table pc6_meerderheid as
select pc6, buurtcode, wijkcode
from (
    select pc6, buurtcode, wijkcode,
        row_number() over (partition by pc6 order by count(*) desc, buurtcode) as rn
    from adressen group by pc6, buurtcode, wijkcode
)
where rn = 1;

create or replace table geografie as
with jaar as (select max(jaar) as jaar from kerncijfers)
select
    k.gwb_code as gebiedcode,
    case substring(k.gwb_code, 1, 2) when 'GM' then 'gemeente' else 'wijk' end as niveau,
    'GM' || substring(k.gwb_code, 3, 4) as gemeentecode
from kerncijfers as k, jaar as j
where k.jaar = j.jaar and substring(k.gwb_code, 1, 2) in ('GM', 'WK') and ({region});

create or replace table politie as
with gelezen as (
    select 'politie__misdrijven' as bron, filename, trim("SoortMisdrijf") as categorie,
        upper(trim("WijkenEnBuurten")) as gebiedcode, trim("Perioden") as perioden,
        cast(nullif(trim("GeregistreerdeMisdrijven_1"), '') as integer) as aantal
    from read_csv('{landing}/politie/misdrijven/misdrijven-*.csv', delim = ';', header = true,
        all_varchar = true, filename = true)
    union all
    select 'politie__incidenten', filename, trim("SoortIncident"), upper(trim("WijkenEnBuurten")),
        trim("Perioden"), cast(nullif(trim("Incidenten_1"), '') as integer)
    from read_csv('{landing}/politie/incidenten/incidenten-*.csv', delim = ';', header = true,
        all_varchar = true, filename = true)
),
met_maand as (
    select *, make_date(cast(substring(perioden, 1, 4) as integer), cast(substring(perioden, 7, 2) as integer), 1)
        as maand
    from gelezen
)
-- Newest delivery per (source, month, area): file names sort by their newest month.
select bron, categorie, gebiedcode, maand, aantal
from (select *, max(filename) over (partition by bron, maand, gebiedcode) as nieuwste from met_maand)
where filename = nieuwste and gebiedcode like 'WK%';

create or replace table meldingen as
with gelezen as (
    select
        'GM' || regexp_extract(filename, 'meldingen-[Gg][Mm](\d{4})-(\d{6})\.csv$', 1) as gemeentecode,
        strptime(regexp_extract(filename, 'meldingen-[Gg][Mm](\d{4})-(\d{6})\.csv$', 2), '%Y%m')::date
            as bestand_maand,
        date_trunc('month', strptime(trim("DatumMelding"), '%d-%m-%Y %H:%M'))::date as maand,
        trim("Categorie") as categorie,
        upper(replace(trim("Postcode"), ' ', '')) as pc6,
        try_cast(trim("Huisnummer") as integer) as huisnummer
    from read_csv('{meldingen}/meldingen-*.csv', delim = ';', header = true, all_varchar = true, filename = true)
)
select m.gemeentecode, m.bestand_maand, m.maand, m.categorie,
    coalesce(a.wijkcode, p.wijkcode) as wijkcode
from gelezen as m
left join adressen as a on m.pc6 = a.pc6 and m.huisnummer = a.huisnummer
left join pc6_meerderheid as p on m.pc6 = p.pc6;

create or replace table brandweer as
with gelezen as (
    select filename, trim(incident_id) as incident_id,
        date_trunc('month', cast(trim(melding_tijd) as timestamp))::date as maand,
        trim(incidentsoort) as categorie, lower(trim(ter_plaatse)) as ter_plaatse,
        upper(replace(trim(pc6), ' ', '')) as pc6, try_cast(trim(huisnummer) as integer) as huisnummer
    from read_csv('{landing}/brandweer/incidenten/brandweer-incidenten-*.csv', delim = ',', header = true,
        all_varchar = true, filename = true)
),
nieuwste as (
    select * exclude (rn)
    from (select *, row_number() over (partition by incident_id order by filename desc) as rn from gelezen)
    where rn = 1 and ter_plaatse = 'ja'
)
select n.maand, n.categorie, coalesce(a.wijkcode, p.wijkcode) as wijkcode
from nieuwste as n
left join adressen as a on n.pc6 = a.pc6 and n.huisnummer = a.huisnummer
left join pc6_meerderheid as p on n.pc6 = p.pc6;

-- intermediate: events per wijk and month, coverage, periods, noemers ------------------------------

create or replace table gebeurtenissen as
select bron, categorie, gebiedcode as wijkcode, maand, sum(aantal) as aantal,
    max(case when aantal is null then 1 else 0 end) = 1 as achtergehouden
from politie group by all
union all
select 'gemeente__meldingen', categorie, wijkcode, maand, count(*), false
from meldingen where wijkcode is not null group by all
union all
select 'brandweer__incidenten', categorie, wijkcode, maand, count(*), false
from brandweer where wijkcode is not null group by all;

create or replace table dekking as
select distinct bron, gebiedcode as wijkcode, maand from politie
union
select distinct 'gemeente__meldingen', g.gebiedcode, m.bestand_maand
from (select distinct gemeentecode, bestand_maand from meldingen) as m
inner join geografie as g on m.gemeentecode = g.gemeentecode and g.niveau = 'wijk'
union
select distinct 'brandweer__incidenten', g.gebiedcode, b.maand
from (select distinct maand from brandweer) as b cross join geografie as g where g.niveau = 'wijk';

create or replace table perioden as
with per_bron as (
    select bron, min(maand) as eerste, max(maand) as laatste from dekking group by bron
),
grenzen as (select min(eerste) as eerste, min(laatste) as laatste from per_bron),
jaren as (select distinct year(maand) as jaar from dekking),
vensters as (
    select laatste as eind from grenzen
    union all
    select laatste - interval 12 month from grenzen
)
select cast(j.jaar as varchar) as periode, 'jaar' as periode_type, make_date(j.jaar, 1, 1) as begin_maand,
    make_date(j.jaar, 12, 1) as eind_maand, j.jaar as peiljaar
from jaren as j, grenzen as g
where j.jaar < year(g.laatste) or (j.jaar = year(g.laatste) and month(g.laatste) = 12)
union all
select strftime(v.eind - interval 11 month, '%Y-%m') || '/' || strftime(v.eind, '%Y-%m'), '12mnd',
    cast(v.eind - interval 11 month as date), cast(v.eind as date), year(v.eind)
from vensters as v, grenzen as g
where v.eind - interval 11 month >= g.eerste;

create or replace table noemers as
with keuze as (
    select p.periode, p.periode_type,
        coalesce(max(case when k.jaar = p.peiljaar then k.jaar end),
                 max(case when k.jaar < p.peiljaar then k.jaar end), min(k.jaar)) as jaar
    from perioden as p, (select distinct jaar from kerncijfers) as k
    group by p.periode, p.periode_type
)
select c.periode, c.periode_type, g.gebiedcode, u.kolom, u.waarde
from keuze as c
inner join (
    -- long format, keeping suppressed (null) values: they are niet_geleverd, not missing
    select jaar, gwb_code, 'a_inw' as kolom, a_inw as waarde from kerncijfers
    union all select jaar, gwb_code, 'a_65_oo' as kolom, a_65_oo as waarde from kerncijfers
    union all select jaar, gwb_code, 'a_hh' as kolom, a_hh as waarde from kerncijfers
    union all select jaar, gwb_code, 'a_1p_hh' as kolom, a_1p_hh as waarde from kerncijfers
    union all select jaar, gwb_code, 'a_woning' as kolom, a_woning as waarde from kerncijfers
    union all select jaar, gwb_code, 'p_wcorpw' as kolom, p_wcorpw as waarde from kerncijfers
    union all select jaar, gwb_code, 'p_hh_li' as kolom, p_hh_li as waarde from kerncijfers
) as u on c.jaar = u.jaar
inner join geografie as g on u.gwb_code = g.gebiedcode;

create or replace table tellers as
with cat as (
    select distinct indicator_code, teller_bron from seed_categorieen
    where teller_bron in ('politie__misdrijven', 'politie__incidenten', 'gemeente__meldingen', 'brandweer__incidenten')
      and rol = 'teller' and indicator_code <> 'B02'
),
maanden as (
    select d.bron, d.wijkcode, p.periode, p.periode_type, count(distinct d.maand) as maanden
    from dekking as d inner join perioden as p on d.maand between p.begin_maand and p.eind_maand
    group by all
),
tellingen as (
    select c.indicator_code, p.periode, p.periode_type, e.wijkcode, sum(e.aantal) as teller,
        max(case when e.achtergehouden then 1 else 0 end) as achtergehouden
    from gebeurtenissen as e
    inner join seed_categorieen as c
        on e.bron = c.teller_bron and (c.categorie = '*' or e.categorie = c.categorie) and c.rol = 'teller'
    inner join perioden as p on e.maand between p.begin_maand and p.eind_maand
    group by all
),
wijk as (
    select ci.indicator_code, p.periode, p.periode_type, g.gebiedcode, g.gemeentecode,
        case when coalesce(m.maanden, 0) < 12 then 'geen_data' when t.achtergehouden = 1 then 'niet_geleverd' end
            as bron_status,
        case when coalesce(m.maanden, 0) = 12 and coalesce(t.achtergehouden, 0) = 0
            then cast(coalesce(t.teller, 0) as double) end as teller
    from cat as ci
    cross join perioden as p
    inner join geografie as g on g.niveau = 'wijk'
    left join maanden as m
        on ci.teller_bron = m.bron and g.gebiedcode = m.wijkcode and p.periode = m.periode
        and p.periode_type = m.periode_type
    left join tellingen as t
        on ci.indicator_code = t.indicator_code and g.gebiedcode = t.wijkcode and p.periode = t.periode
        and p.periode_type = t.periode_type
),
gemeente as (
    select indicator_code, periode, periode_type, gemeentecode as gebiedcode, gemeentecode,
        case when count(teller) = count(*) then null
             when max(case when bron_status = 'niet_geleverd' then 1 else 0 end) = 1 then 'niet_geleverd'
             else 'geen_data' end as bron_status,
        case when count(teller) = count(*) then sum(teller) end as teller
    from wijk group by all
),
cbs as (
    select c.indicator_code, k.periode, k.periode_type, k.gebiedcode, null as gemeentecode,
        case when k.waarde is null then 'niet_geleverd' end as bron_status,
        case when c.teller_is_percentage = 'true' then round(k.waarde * n.waarde / 100.0, 0) else k.waarde end
            as teller
    from seed_catalogus as c
    inner join noemers as k on c.teller_kolom = k.kolom
    left join noemers as n
        on c.noemer_kolom = n.kolom and k.periode = n.periode and k.periode_type = n.periode_type
        and k.gebiedcode = n.gebiedcode
    where c.teller_bron = 'cbs__kerncijfers'
)
select indicator_code, periode, periode_type, gebiedcode, bron_status, teller from wijk
union all
select indicator_code, periode, periode_type, gebiedcode, bron_status, teller from gemeente
union all
select indicator_code, periode, periode_type, gebiedcode, bron_status, teller from cbs;

-- mart: values with status, regional value, index, z-score and rank --------------------------------

create or replace table fct_indicator_waarde as
with lokaal as (
    select c.indicator_code, p.periode, p.periode_type, g.gebiedcode, g.niveau, g.gemeentecode,
        cast(c.schaal as double) as schaal, cast(c.polariteit as integer) as polariteit,
        cast(c.minimum_noemer as double) as minimum_noemer, c.privacy_klasse, n.waarde as noemer, t.teller,
        case
            when t.indicator_code is null then 'geen_data'
            when t.bron_status is not null then t.bron_status
            when c.noemer_kolom is not null and n.gebiedcode is null then 'geen_data'
            when c.noemer_kolom is not null and n.waarde is null then 'niet_geleverd'
        end as bron_status
    from seed_catalogus as c
    cross join perioden as p
    cross join geografie as g
    inner join (select distinct indicator_code from tellers) as i on c.indicator_code = i.indicator_code
    left join tellers as t
        on c.indicator_code = t.indicator_code and p.periode = t.periode and p.periode_type = t.periode_type
        and g.gebiedcode = t.gebiedcode
    left join noemers as n
        on c.noemer_kolom = n.kolom and p.periode = n.periode and p.periode_type = n.periode_type
        and g.gebiedcode = n.gebiedcode
),
regio as (
    select indicator_code, periode, periode_type,
        sum(case when bron_status is null then teller end)
        / nullif(sum(case when bron_status is null then noemer end), 0) * any_value(schaal) as regio_waarde
    from lokaal where niveau = 'wijk' group by all
),
beveiligd as (
    select l.*,
        case
            when l.bron_status is not null then l.bron_status
            when l.noemer is not null and l.noemer < l.minimum_noemer then 'te_kleine_noemer'
            when (l.privacy_klasse = 'gevoelig' and l.teller between 0 and 9)
              or (l.privacy_klasse <> 'gevoelig' and l.teller between 1 and 4) then 'onderdrukt'
            else 'ok'
        end as status
    from lokaal as l
),
waarden as (
    select b.*, r.regio_waarde,
        case when b.status = 'ok' then
            case when b.noemer is null then b.teller else b.teller / nullif(b.noemer, 0) * b.schaal end
        end as waarde_exact
    from beveiligd as b
    left join regio as r
        on b.indicator_code = r.indicator_code and b.periode = r.periode and b.periode_type = r.periode_type
),
verdeling as (
    select indicator_code, periode, periode_type, avg(waarde_exact) as gemiddelde, stddev_samp(waarde_exact) as sd
    from waarden where niveau = 'wijk' and waarde_exact is not null group by all
)
select w.indicator_code, w.periode, w.periode_type, w.gebiedcode, w.niveau, w.status,
    case when w.status = 'ok' then round(w.teller / 5) * 5 end as teller_afgerond,
    w.noemer,
    round(w.waarde_exact, 1) as waarde,
    round(w.regio_waarde, 1) as regio_waarde,
    case when w.regio_waarde > 0 then round(100 * w.waarde_exact / w.regio_waarde, 1) end as index_regio,
    case when w.niveau = 'wijk' and v.sd > 0
        then round(w.polariteit * (w.waarde_exact - v.gemiddelde) / v.sd, 2) end as z_score,
    case when w.niveau = 'wijk' and w.waarde_exact is not null then
        rank() over (partition by w.indicator_code, w.periode, w.periode_type, w.niveau, w.waarde_exact is null
                     order by w.waarde_exact * w.polariteit desc)
    end as rang_in_regio
from waarden as w
left join verdeling as v
    on w.indicator_code = v.indicator_code and w.periode = v.periode and w.periode_type = v.periode_type;
