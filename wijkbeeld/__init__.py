"""wijkbeeld: the wijk indicator platform of Veiligheidsregio Midden- en West-Brabant."""

__version__ = "0.1.0"
