"""lrsstore: the store reader, now lrsweep.store (python/lrsweep/store.py); this name
stays for scripts that import it from analysis/ (reproduce.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from lrsweep import store as _store  # noqa: E402

sys.modules[__name__] = _store
