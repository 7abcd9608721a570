"""Shared helpers of the Python tests (import with tests/ on sys.path): TAP output;
lrsweep under mpiexec with the tests' environment and the processes of an mpirun
job (the main job's tests); single points run in a scratch directory, their printed
summary, trajectory and dump read back (Scratch); the built lrsweep of the pytest
suites and small stores made with it (program, run_sweep)."""
import collections
import json
import os
import selectors
import signal
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Tap:
    """TAP lines (ok / not ok N - name, failures with up to 40 lines of diagnosis)
    and the plan at the end: the count is the checks run."""

    def __init__(self):
        self.count = self.failed = 0

    def ok(self, cond, name, diag=""):
        self.count += 1
        self.failed += not cond
        print(f"{'ok' if cond else 'not ok'} {self.count} - {name}", flush=True)
        if not cond and diag:
            for line in str(diag).splitlines()[:40]:
                print(f"# {line}", flush=True)
        return cond

    def done(self):
        """Prints the plan; the exit code."""
        print(f"1..{self.count}", flush=True)
        return 1 if self.failed else 0


class Lrsweep:
    """lrsweep with one BLAS thread, as root under Open MPI, without leak checks of
    Open MPI's allocations under the sanitizers; np > 1 runs it under mpiexec."""

    def __init__(self, lrsweep, mpiexec):
        self.exe, self.mpiexec = os.path.abspath(lrsweep), mpiexec
        self.env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", ASAN_OPTIONS="detect_leaks=0")

    def cmd(self, np_, *args):
        base = [self.exe, *args]
        return base if np_ == 1 else [self.mpiexec, "--oversubscribe", "-np", str(np_), *base]

    def run(self, np_, *args, timeout=300):
        """(exit code, stdout, stderr) of a finished run."""
        r = subprocess.run(self.cmd(np_, *args), env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def start(self, np_, *args):
        """A running job with JSON progress lines every 0.1 s, in its own session
        (kill_job signals the whole group)."""
        return subprocess.Popen(self.cmd(np_, *args, "--json-progress", "--progress-seconds",
                                         "0.1"),
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)


def descendants(pid):
    """pids of every process below pid (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out



def kill_job(proc, timeout=30.0):
    """SIGKILL an mpirun (or singleton) job started in its own session: its process
    group, and every descendant (ranks that left the group too); then waits until
    they are all gone, so that nothing of the job holds files or locks any more."""
    victims = [proc.pid] + descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for v in victims:
        try:
            os.kill(v, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.communicate(timeout=timeout)
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(_alive(v) for v in victims):
        time.sleep(0.05)


def _alive(pid):
    """Running (a zombie has released its files and locks)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_done(proc, at_least, limit=60.0):
    """Reads JSON progress lines until done >= at_least; returns the last line."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    end = time.monotonic() + limit
    last = None
    while time.monotonic() < end:
        if not sel.select(timeout=0.5):
            continue
        line = proc.stdout.readline()
        if not line:
            break
        last = json.loads(line)
        if last["done"] >= at_least and not last["final"]:
            return last
    return last


# ---- single points in a scratch directory -------------------------------------------

# A main job is a singleton MPI job: as root, Open MPI wants these.
MPI_AS_ROOT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
               "OMPI_MCA_rmaps_base_oversubscribe": "1", "PMIX_MCA_psec": "native"}

Solved = collections.namedtuple("Solved", "result traj summary dump attrs")
Solved.__doc__ = """A point run by Scratch.solve: the CompletedProcess; its trajectory and
summary (trajectory(), summary()); its dump's datasets and attributes as dicts.  traj,
dump and attrs are None when the run failed (result.stderr says why)."""


class Scratch:
    """lrsweep with its working directory `cwd` (a scratch directory): sweep files
    written there, commands run there, single points solved and read back."""

    def __init__(self, lrsweep, cwd):
        self.exe, self.cwd = os.path.abspath(lrsweep), cwd
        self.env = dict(os.environ, **MPI_AS_ROOT)

    def write(self, rel, text):
        """Writes `text` to cwd/rel; returns rel."""
        with open(os.path.join(self.cwd, rel), "w") as fh:
            fh.write(text)
        return rel

    def run(self, *args, timeout=300):
        """`lrsweep ARGS...` in cwd: the CompletedProcess (text output)."""
        return subprocess.run([self.exe, *args], capture_output=True, text=True, cwd=self.cwd,
                              timeout=timeout, env=self.env)

    def solve(self, sweep, text=None, point=0, dump=None):
        """`lrsweep run SWEEP --point POINT --trajectory --dump DUMP` (DUMP: SWEEP's stem
        .h5), the sweep file written first when `text` is given: a Solved."""
        import h5py
        import numpy as np

        if text is not None:
            self.write(sweep, text)
        dump = dump or os.path.splitext(sweep)[0] + ".h5"
        r = self.run("run", sweep, "--point", str(point), "--trajectory", "--dump", dump)
        if r.returncode != 0:
            return Solved(r, None, summary(r.stdout), None, None)
        with h5py.File(os.path.join(self.cwd, dump), "r") as f:
            data = {n: np.array(f[n]) for n in f}
            attrs = dict(f.attrs)
        return Solved(r, trajectory(r.stdout), summary(r.stdout), data, attrs)


def summary(out):
    """The "# NAME VALUE" lines that `lrsweep run` prints: {NAME: VALUE text}."""
    vals = {}
    for line in out.splitlines():
        parts = line[2:].split(None, 1) if line.startswith("# ") else []
        if len(parts) == 2:
            vals[parts[0]] = parts[1]
    return vals


def duration(text):
    """A duration as lrs_format_seconds writes it ("850 µs", "2.35 s", "3 min 12 s",
    "10 min", "2 h 05 min", "3 d 4 h"): (seconds, half its last digit's unit, the
    rounding it may carry)."""
    import math
    import re

    unit = {"d": 86400, "h": 3600, "min": 60, "s": 1}
    below = {"d": "h", "h": "min", "min": "s"}  # the unit shown after each, when not 0
    two = re.fullmatch(r"(\d+) (d|h|min)(?: (\d+) (h|min|s))?", text)
    if two:
        return (int(two[1]) * unit[two[2]] + int(two[3] or 0) * unit[two[4] or below[two[2]]],
                unit[below[two[2]]] / 2)
    value, name = text.split()
    scale = {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[name]
    return float(value) * scale, 0.5 * 10 ** (math.floor(math.log10(float(value))) - 2) * scale


def trajectory(out):
    """The tab-separated records that `lrsweep run --trajectory` prints (or
    `rerun --output` writes): {column: float array}."""
    import numpy as np

    rows = [line.split("\t") for line in out.splitlines() if line and not line.startswith("#")]
    return {name: np.array([float(r[i]) for r in rows[1:]]) for i, name in enumerate(rows[0])}


# ---- the pytest suites' lrsweep and stores ------------------------------------------


def program():
    """The built lrsweep: $LRSWEEP, else build/lrsweep of this checkout; the suites fail
    (an assertion), never skip, when it is missing."""
    p = os.environ.get("LRSWEEP") or os.path.join(REPO, "build", "lrsweep")
    assert os.path.isfile(p) and os.access(p, os.X_OK), "lrsweep binary %s missing: build it or set LRSWEEP" % p
    return os.path.abspath(p)


def run_sweep(text_or_path, store, cwd):
    """Runs a sweep -- a sweep file, or the text of one (written into cwd) -- into
    `store` with working directory cwd; asserts that it succeeds."""
    if os.path.isfile(text_or_path):
        sweep = text_or_path
    else:
        sweep = os.path.join(cwd, "sweep_%d.toml" % (abs(hash(text_or_path)) % 10**8))
        with open(sweep, "w") as fh:
            fh.write(text_or_path)
    r = subprocess.run([program(), sweep, "--store", store, "--quiet"], cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
