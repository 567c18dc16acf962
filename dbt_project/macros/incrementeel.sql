{#-
  Incremental nights (docs/operations.md, "A night costs what changed"). The platform passes the highest
  levering_id of the last successful build as var `levering_sinds`; a build without it, or a full refresh,
  rebuilds everything. Models keyed by period rebuild only the periods in int_perioden_gewijzigd, models
  keyed by month only the (bron, maand) pairs in int_maanden_gewijzigd.
-#}

{#- The months a newer delivery can change: for every raw row whose newest-wins key also occurs in a
    delivery after `levering_sinds` (the old rows it replaces and the new ones), each of its month
    expressions (SQL over alias r). Without `levering_sinds`: every month of every row. -#}
{% macro gewijzigde_maanden(bron, relatie, sleutel, maanden) -%}
    {%- for maand in maanden %}
    select distinct
        '{{ bron }}' as bron,
        cast({{ maand }} as date) as maand
    from {{ relatie }} as r
    {%- if var('levering_sinds', none) is not none %}
    where exists (
        select 1
        from {{ relatie }} as n
        where
            n.levering_id > {{ var('levering_sinds') }}
            {%- for k in sleutel %}
            and n.{{ k }} = r.{{ k }}
            {%- endfor %}
    )
    {%- endif %}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Pre-hook of a model keyed by month: remove the (bron, maand) pairs about to be rebuilt. -#}
{% macro verwijder_maanden() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as t
    where exists (
        select 1
        from {{ ref('int_maanden_gewijzigd') }} as g
        where g.bron = t.bron and g.maand = t.maand
    )
    {%- endif %}
{%- endmacro %}

{#- The filter of a model keyed by month: only the (bron, maand) pairs to rebuild. -#}
{% macro alleen_gewijzigde_maanden(alias) -%}
    {%- if is_incremental() %}
    exists (
        select 1
        from {{ ref('int_maanden_gewijzigd') }} as gewijzigd
        where gewijzigd.bron = {{ alias }}.bron and gewijzigd.maand = {{ alias }}.maand
    )
    {%- else %}
    true
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of a model keyed by period: remove the periods about to be rebuilt and the periods that are no
    longer published (a 12-month window that moved on). -#}
{% macro verwijder_perioden() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as t
    where
        exists (
            select 1
            from {{ ref('int_perioden_gewijzigd') }} as g
            where g.periode = t.periode and g.periode_type = t.periode_type
        )
        or not exists (
            select 1
            from {{ ref('int_perioden') }} as p
            where p.periode = t.periode and p.periode_type = t.periode_type
        )
    {%- endif %}
{%- endmacro %}

{#- The filter of a model keyed by period: only the periods to rebuild (alias.periode, alias.periode_type). -#}
{% macro alleen_gewijzigde_perioden(alias) -%}
    {%- if is_incremental() %}
    exists (
        select 1
        from {{ ref('int_perioden_gewijzigd') }} as gewijzigd
        where gewijzigd.periode = {{ alias }}.periode and gewijzigd.periode_type = {{ alias }}.periode_type
    )
    {%- else %}
    true
    {%- endif %}
{%- endmacro %}
