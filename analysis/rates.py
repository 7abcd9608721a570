#!/usr/bin/python3
"""rates.py: the command line of lrsweep.plots.rates (python/lrsweep/plots/rates.py; --help there).
Runs from the checkout without setup; `python3 -m lrsweep.plots.rates` is the same."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from lrsweep.plots import rates as _m  # noqa: E402
from lrsweep.store import main_guard  # noqa: E402

if __name__ == "__main__":
    main_guard(_m.main)
sys.modules[__name__] = _m  # `import rates` (reproduce.py) is the package module
