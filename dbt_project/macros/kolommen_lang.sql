{#- Long format (categorie, aantal) of the given count columns of a relation, keeping the named columns. -#}
{% macro kolommen_lang(relatie, kolommen, behouden) -%}
    {%- for kolom in kolommen %}
    select
        {%- for b in behouden %}
        {{ b }},
        {%- endfor %}
        '{{ kolom }}' as categorie,
        {{ kolom }} as aantal
    from {{ relatie }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
