#!/usr/bin/python3
"""trajectories.py: the command line of lrsweep.plots.trajectories (python/lrsweep/plots/trajectories.py; --help there).
Runs from the checkout without setup; `python3 -m lrsweep.plots.trajectories` is the same."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from lrsweep.plots import trajectories as _m  # noqa: E402
from lrsweep.store import main_guard  # noqa: E402

if __name__ == "__main__":
    main_guard(_m.main)
sys.modules[__name__] = _m  # `import trajectories` (reproduce.py) is the package module
