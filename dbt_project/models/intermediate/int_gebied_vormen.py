"""The shape of every area of the reference geography as WKT (WGS84): a wijk's generalised CBS polygon, a
gemeente's and the region's the union of their wijken (wijkbeeld.geo). Areas without a known shape are left out.
"""

import pandas as pd

from wijkbeeld.geo import area_shapes, to_wkt


def model(dbt, session):
    dbt.config(materialized="table")
    gebieden = dbt.ref("int_geografie_referentie").df()
    rows = zip(gebieden["gebiedcode"], gebieden["niveau"], gebieden["gemeentecode"], strict=True)
    shapes = area_shapes(rows)
    return pd.DataFrame(
        {"gebiedcode": list(shapes), "geometrie_wkt": [to_wkt(shape) for shape in shapes.values()]},
        dtype="object",
    )
