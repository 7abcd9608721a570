#!/usr/bin/python3
"""phase_diagram.py: the command line of lrsweep.plots.phase_diagram (python/lrsweep/plots/phase_diagram.py; --help there).
Runs from the checkout without setup; `python3 -m lrsweep.plots.phase_diagram` is the same."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from lrsweep.plots import phase_diagram as _m  # noqa: E402
from lrsweep.store import main_guard  # noqa: E402

if __name__ == "__main__":
    main_guard(_m.main)
sys.modules[__name__] = _m  # `import phase_diagram` (reproduce.py) is the package module
