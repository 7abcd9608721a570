"""The lrsweep program, for what Python asks of it (the boundary rule lives in C).

program() finds it: $LRSWEEP, else the newest build*/lrsweep of this checkout (the
package sits in its python/ folder), else `lrsweep` on PATH.
"""

import glob
import os
import shutil
import subprocess

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def program():
    """The path of the lrsweep executable; StoreError when there is none."""
    from .store import StoreError

    env = os.environ.get("LRSWEEP")
    if env:
        if not os.access(env, os.X_OK):
            raise StoreError("LRSWEEP=%s: not an executable" % env)
        return env
    built = [p for p in glob.glob(os.path.join(CHECKOUT, "build*", "lrsweep")) if os.access(p, os.X_OK)]
    if built:
        return max(built, key=os.path.getmtime)
    found = shutil.which("lrsweep")
    if found:
        return found
    raise StoreError("the lrsweep program is needed (for the boundary rule): build it "
                     "(scripts/build.sh build) or set LRSWEEP=PATH/lrsweep")


def run(args):
    """Runs `lrsweep ARGS...` and returns its stdout; its one-line error as StoreError."""
    from .store import StoreError

    r = subprocess.run([program()] + [str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        msg = r.stderr.strip().splitlines()
        msg = msg[-1] if msg else "exit %d" % r.returncode
        raise StoreError(msg[len("lrsweep: "):] if msg.startswith("lrsweep: ") else msg)
    return r.stdout
