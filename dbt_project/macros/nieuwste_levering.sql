{#-
  Rows of the newest delivery (highest levering_id) per key: a re-delivery replaces exactly the keys it
  contains (e.g. (maand, gebiedcode)) and nothing else. Older deliveries stay in raw, traceable.
-#}
{% macro nieuwste_levering(relatie, sleutel) -%}
    select *
    from (
        select
            *,
            max(levering_id) over (partition by {{ sleutel | join(', ') }}) as nieuwste_levering_id
        from {{ relatie }}
    ) as geleverd
    where levering_id = nieuwste_levering_id
{%- endmacro %}
