{#- Fails for every combination of the given columns that occurs more than once. -#}
{% test unieke_combinatie(model, kolommen) %}
select
    {{ kolommen | join(', ') }},
    count(*) as aantal
from {{ model }}
group by {{ kolommen | join(', ') }}
having count(*) > 1
{% endtest %}
