{#- Long format (kolom, waarde) of the kerncijfers columns that indicators use as teller or noemer. -#}
{% macro unpivot_kerncijfers(relatie, kolommen) -%}
    {%- for kolom in kolommen %}
    select
        jaar,
        gwb_code,
        levering_id,
        '{{ kolom }}' as kolom,
        cast({{ kolom }} as double) as waarde
    from {{ relatie }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
