"""The figure scripts (each `python3 -m lrsweep.plots.NAME --help`; analysis/NAME.py)."""
