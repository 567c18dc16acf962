{#- 'YYYY-MM' label of a month date, in portable SQL. -#}
{% macro maand_label(datum) -%}
    cast(extract(year from {{ datum }}) as varchar) || '-' || lpad(cast(extract(month from {{ datum }}) as varchar), 2, '0')
{%- endmacro %}
