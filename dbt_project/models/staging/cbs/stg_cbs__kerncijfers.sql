with geleverd as (
    {{ nieuwste_levering(source('cbs', 'kerncijfers'), ['jaar']) }}
)

select
    jaar,
    gwb_code,
    regio as gebiedsnaam,
    gm_naam as gemeentenaam,
    case substring(gwb_code, 1, 2)
        when 'GM' then 'gemeente'
        when 'WK' then 'wijk'
        when 'BU' then 'buurt'
    end as niveau,
    'GM' || substring(gwb_code, 3, 4) as gemeentecode,
    a_inw,
    a_00_14,
    a_15_24,
    a_25_44,
    a_45_64,
    a_65_oo,
    a_hh,
    a_1p_hh,
    a_woning,
    p_koopw,
    p_huurw,
    p_wcorpw,
    p_hh_li,
    bron_bestand,
    levering_id
from geleverd
