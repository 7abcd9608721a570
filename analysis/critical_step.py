#!/usr/bin/python3
"""critical_step.py: the command line of lrsweep.plots.critical_step (python/lrsweep/plots/critical_step.py; --help there).
Runs from the checkout without setup; `python3 -m lrsweep.plots.critical_step` is the same."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from lrsweep.plots import critical_step as _m  # noqa: E402
from lrsweep.store import main_guard  # noqa: E402

if __name__ == "__main__":
    main_guard(_m.main)
sys.modules[__name__] = _m  # `import critical_step` (reproduce.py) is the package module
