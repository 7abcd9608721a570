#!/usr/bin/python3
"""This lrsweep against the one built from a base commit, on the same machine
in the same run (TAP output): `lrsweep run` on points of every sweeps/*.toml
prints the same lines (timing lines aside; a value the point does not have,
the base's -1 of iters_to_* and nan, in this lrsweep's words: respell), the
stores of the same sweeps have the same schema and the same values
(run-dependent columns aside, tests/storecmp.py), and a store the base wrote
is read, rerun and continued by this lrsweep as if this lrsweep had written it.

The base is the last commit whose numerics, parameter defaults and axis values
this lrsweep must reproduce (tests/cli/meson.build names it and the change of
results that moved it there); the sweep files are the base's own (a data file
they need is made by the base's own scripts/make_digits.py).  A later change that adds fields still passes: the base's
lines and columns must then be found unchanged, in the same order, among the
new ones.  A change meant to alter results moves the base.

usage: test_baseline.py LRSWEEP SOURCE_ROOT WORK_DIR BASE_COMMIT
(WORK_DIR keeps the base's build between runs.)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402
from storecmp import RUN_DEPENDENT, store_diff  # noqa: E402

LRSWEEP, ROOT, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
BASE = sys.argv[4]
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")
tap = Tap()
check = tap.ok


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, env=ENV, **kw)


def build_base():
    """The base commit's lrsweep, built once into WORK (None: no git history)."""
    exe = os.path.join(WORK, "build", "lrsweep")
    stamp = os.path.join(WORK, "commit")
    if os.path.exists(exe) and os.path.exists(stamp) and open(stamp).read() == BASE:
        return exe
    r = sh(["git", "-C", ROOT, "rev-parse", "--verify", "--quiet", BASE + "^{commit}"])
    if r.returncode != 0:
        return None
    shutil.rmtree(WORK, ignore_errors=True)
    src = os.path.join(WORK, "src")
    os.makedirs(src)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", BASE], stdout=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout)
    archive.wait()
    if archive.returncode or tar.returncode:
        sys.exit(f"Bail out! git archive {BASE} failed")
    for step in (["meson", "setup", os.path.join(WORK, "build"), src, "-Dtests=false",
                  "--buildtype=debugoptimized"], ["ninja", "-C", os.path.join(WORK, "build")]):
        r = sh(step)
        if r.returncode != 0:
            sys.exit(f"Bail out! building {BASE}: {' '.join(step)}: {r.stdout[-500:]}{r.stderr[-500:]}")
    # Sweeps on a generated data file (sweeps/p2_classifier.toml): the base's own
    # generator writes it where its sweep file looks (README, Data files).
    gen, data = os.path.join(src, "scripts", "make_digits.py"), os.path.join(src, "sweeps", "data", "digits.h5")
    if os.path.exists(gen) and not os.path.exists(data):
        r = sh([sys.executable, gen, "-o", data])
        if r.returncode != 0:
            sys.exit(f"Bail out! {gen}: {r.stderr[-500:]}")
    open(stamp, "w").write(BASE)
    return exe


def same_or_superset(old, new):
    """Whether `new` is `old`, or `old` with items added (old's in order); a
    trajectory TSV line may gain columns at its end (record fields added)."""
    if old == new:
        return True
    it = iter(new)
    return all(any(x == y or ("\t" in x and y.startswith(x + "\t")) for y in it) for x in old)


# The integer fields `run` prints (include/lrsweep/result.h's I64 rows with a run
# line): their -1 is "no value"; a real field's -1 is a value.
COUNTS = {"iterations", "rhs_evals", "loss_evals", "ls_failures"}


def respell(line):
    """A summary line of the base as this lrsweep spells a value the point does not
    have (README, Command line): an iters_to_* level's -1 is `not reached`, another
    count's -1 (a theory-only point's iterations) and a NaN are `-`; every other
    value, and the trajectory's TSV, as the base printed it."""
    m = re.fullmatch(r"((?:# )?(\S+) +)(-?nan|-1)", line)
    level = m and m.group(2).startswith("iters_to_")
    if not m or (m.group(3) == "-1" and not level and m.group(2) not in COUNTS):
        return line
    return m.group(1) + ("not reached" if level else "-")


def run_lines(exe, sweep, k, *extra):
    r = sh([exe, "run", sweep, "--point", str(k), *extra], timeout=600)
    lines = [ln for ln in r.stdout.splitlines() if not re.match(r"(# )?wall_seconds ", ln)]
    if exe == BASE_EXE:
        lines = [respell(ln) for ln in lines]
    return r.returncode, lines, r.stderr


BASE_EXE = build_base()
if BASE_EXE is None:
    print(f"1..0 # SKIP commit {BASE} is not in this checkout's history")
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix="lrs-baseline-")
os.chdir(tmp)
# The base's own sweep files (the tree it was built from): later sweeps may use
# kinds and keys the base does not know.
SWEEPS = os.path.join(WORK, "src", "sweeps")
sweeps = sorted(f for f in os.listdir(SWEEPS) if f.endswith(".toml"))
check(len(sweeps) >= 10, f"sweeps/*.toml: {len(sweeps)} files")

# --- `lrsweep run`: the same lines ---------------------------------------------------
for name in sweeps:
    path = os.path.join(SWEEPS, name)
    r = sh([LRSWEEP, "plan", path])
    m = re.search(r"^points\s+(\d+)", r.stdout, re.M)
    if not check(m is not None, f"{name}: plan gives the point count"):
        continue
    n = int(m.group(1))
    for k in sorted({0, n // 2, n - 1}):
        extra = ("--trajectory",) if k == 0 else ()
        rc0, old, err0 = run_lines(BASE_EXE, path, k, *extra)
        rc1, new, err1 = run_lines(LRSWEEP, path, k, *extra)
        exact = old == new
        check(rc0 == rc1 == 0 and len(old) > 10 and same_or_superset(old, new),
              f"{name} point {k}{' --trajectory' if extra else ''}: "
              f"{'identical' if exact else 'the base lines among'} {len(new)} lines"
              f"{'' if exact or not same_or_superset(old, new) else ' (fields added)'}"
              f"{err0[-200:]}{err1[-200:]}")

# --- stores: schema and values ----------------------------------------------------------
# Every sweep: whole (the [P1] ones, refinement included), or one cost-balanced
# shard of the expensive LoRA ones (6 points each).
shards = {"p2_fig1.toml": "0/30", "p2_fig1_gf.toml": "0/30", "p2_h1.toml": "0/60"}
cases = [(s, shards.get(s)) for s in sweeps]


def write_store(exe, sweep, store, shard):
    args = [exe, os.path.join(SWEEPS, sweep), "--store", store, "--quiet"]
    return sh(args + (["--shard", shard] if shard else []), timeout=1200)


def layout(path):
    """Every dataset's dtype (names, order, types, enum maps) and attribute
    names and values, minus times, hosts, versions and paths."""
    volatile = {"created_utc", "extended_utc", "host", "lrsweep_version", "lrsweep_git",
                "sweep_source"}
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            attrs = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                     for k, v in obj.attrs.items() if k not in volatile}
            if isinstance(obj, h5py.Dataset):
                enums = {c: h5py.check_enum_dtype(obj.dtype[c]) for c in (obj.dtype.names or ())}
                out[name] = (obj.dtype.descr, enums, attrs)
            else:
                out[name] = attrs
        visit("/", f)
        f.visititems(visit)
    return out


def columns(path, sweep, ds):
    with h5py.File(path, "r") as f:
        return [(n, f[f"sweeps/{sweep}/{ds}"].dtype[n].str) for n in
                f[f"sweeps/{sweep}/{ds}"].dtype.names]


for sweep, shard in cases:
    name = sweep[:-5]
    a, b = f"base-{name}.h5", f"new-{name}.h5"
    r0, r1 = write_store(BASE_EXE, sweep, a, shard), write_store(LRSWEEP, sweep, b, shard)
    if not check(r0.returncode == 0 and r1.returncode == 0,
                 f"{sweep}{' shard ' + shard if shard else ''}: both write the store "
                 f"{r0.stderr[-200:]}{r1.stderr[-200:]}"):
        continue
    with h5py.File(a, "r") as f:
        sweep_name = list(f["sweeps"])[0]
    la, lb = layout(a), layout(b)
    exact = la == lb
    same_points = all(same_or_superset(columns(a, sweep_name, ds), columns(b, sweep_name, ds))
                      for ds in ("points", "trajectories"))
    check(exact or (same_points and set(la) == set(lb)),
          f"{sweep}: the same schema: {'identical' if exact else 'base columns among new'} "
          f"({len(columns(b, sweep_name, 'points'))} point columns)")
    if exact:
        d = store_diff(a, b, sweep_name)
    else:  # compare the base's columns only
        with h5py.File(a, "r") as f:
            keep = set(f[f"sweeps/{sweep_name}/points"].dtype.names)
        d = [x for x in store_diff(a, b, sweep_name) if x.split(" column ")[-1].split(":")[0] in keep]
    with h5py.File(a, "r") as f:
        pts = f[f"sweeps/{sweep_name}/points"][...]
        done = int(np.sum(pts["status"] != 0))  # not pending
    check(not d and done > 0, f"{sweep}: every non-run-dependent column and trajectory "
          f"bit-identical ({done} points computed; ignored: {', '.join(sorted(RUN_DEPENDENT))}) "
          f"{d[:3]}")

# --- a store the base wrote: read, rerun, continued ----------------------------------------
qs = os.path.join(SWEEPS, "quickstart.toml")
r = sh([BASE_EXE, qs, "--store", "half.h5", "--quiet", "--shard", "0/2"])
check(r.returncode == 0, f"the base writes half the quickstart {r.stderr[-200:]}")
r = sh([LRSWEEP, "status", "half.h5"])
check(r.returncode == 0 and "quickstart" in r.stdout, f"status reads the base's store {r.stderr}")
with h5py.File("half.h5", "r") as f:
    pts = f["sweeps/quickstart/points"][...]
done = [int(p["index"]) for p in pts if p["traj_count"] > 0]
r = sh([LRSWEEP, "query", "half.h5", "--format", "csv", "--select", "index,final_loss,rate",
        "--where", 'status != "pending"'])
rows = [ln.split(",") for ln in r.stdout.splitlines()[1:]]
want = [(int(p["index"]), float(p["final_loss"]), float(p["rate"])) for p in pts if p["traj_count"] > 0]
got = [(int(x[0]), float(x[1]), float(x[2])) for x in rows]
check(r.returncode == 0 and got == want and len(want) >= 4,
      f"query reads the base's {len(want)} points as h5py does {r.stderr}")
r = sh([LRSWEEP, "rerun", "half.h5", "--point", str(done[0])], timeout=300)
check(r.returncode == 0 and "identical  summary and trajectory bit for bit" in r.stdout,
      f"rerun of point {done[0]} of the base's store: identical {r.stdout[-200:]}{r.stderr}")
r = sh([LRSWEEP, qs, "--store", "half.h5", "--quiet"], timeout=600)
check(r.returncode == 0, f"this lrsweep continues the base's store {r.stderr[-200:]}")
d = store_diff("half.h5", "base-quickstart.h5", "quickstart", common_columns=True)
check(not d, f"... and the continued store equals the base's whole run {d[:3]}")
with h5py.File("half.h5", "r") as f:
    cont = f["sweeps/quickstart/points"][...]
if "tol_rel" in pts.dtype.names:   # a base that has the column: its values are kept
    check("tol_rel" in cont.dtype.names and np.array_equal(np.unique(cont["tol_rel"]), np.unique(pts["tol_rel"])),
          "... with the base's tol_rel column kept")
else:
    check("tol_rel" in cont.dtype.names and np.all(cont["tol_rel"] == 0),
          "... with the column the base's table lacked, tol_rel = 0 (off) as its points ran")

shutil.rmtree(tmp, ignore_errors=True)
sys.exit(tap.done())
