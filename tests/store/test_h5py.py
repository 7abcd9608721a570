#!/usr/bin/python3
"""The store from the outside: lrsweep status/query on a store the suite
makes, checked against h5py's own reading of it, bad stores, and the h5py
snippet of docs/store.md run as documented (TAP output).

usage: test_h5py.py LRSWEEP MAKE_STORE SOURCE_ROOT
"""
import json
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

LRSWEEP, MAKE_STORE, ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
tap = Tap()
check = tap.ok


def run(*args):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, timeout=120)


def one_line_error(r, code, text):
    return (r.returncode == code and r.stderr.count("\n") == 1 and text in r.stderr
            and "HDF5-DIAG" not in r.stderr and r.stdout == "")


tmp = tempfile.mkdtemp(prefix="lrs-h5py-")
os.chdir(tmp)
shutil.copy(os.path.join(ROOT, "sweeps", "quickstart.toml"), "quickstart.toml")
r = subprocess.run([MAKE_STORE, "quickstart.toml", "quickstart.h5", "10"], capture_output=True, text=True)
check(r.returncode == 0, f"make_store writes 10 of the quickstart's 12 points {r.stderr.strip()}")

# --- the documented snippet, verbatim -----------------------------------------
for doc_name in ("docs/store.md", "README.md"):
    doc = open(os.path.join(ROOT, doc_name)).read()
    m = re.search(r"<!-- snippet[^>]*-->\s*```python\n(.*?)```", doc, re.S)
    check(m is not None, f"{doc_name} has the h5py snippet")
    if m:
        open("snippet.py", "w").write(m.group(1))
        r = subprocess.run(["/usr/bin/python3", "snippet.py"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and "10 of 12 points done" in r.stdout and "loss: [" in r.stdout,
              f"{doc_name}: the snippet runs with /usr/bin/python3 and h5py: "
              f"{r.stdout.splitlines()[:1]} {r.stderr[-300:]}")
        check(re.search(r"width 100 mean rate 0\.50\d", r.stdout) is not None,
              f"{doc_name}: the snippet's per-width mean rate")

# --- h5py's view ------------------------------------------------------------------
with h5py.File("quickstart.h5", "r") as f:
    check(f.attrs["lrsweep_schema_version"] == 2 and f.attrs["format"] == "lrsweep store"
          and f.attrs["mpi_size"] == 2, "root attributes as documented")
    sw = f["sweeps/quickstart"]
    text = open("quickstart.toml").read()
    import hashlib
    check(sw.attrs["sweep_text"] == text and
          sw.attrs["sweep_sha256"] == hashlib.sha256(text.encode()).hexdigest(),
          "sweep text and its SHA-256 (checked with Python's hashlib)")
    pts = sw["points"][...]
    status = h5py.check_enum_dtype(sw["points"].dtype["status"])
    loss_enum = h5py.check_enum_dtype(sw["points"].dtype["loss"])
    check(set(status) >= {"pending", "converged", "error"} and loss_enum["squared"] == 0,
          "status and parameter enums carry their names")
    check(list(sw["axes"]) == ["seed", "sigma2", "width"] and list(sw["axes/width"][...]) == [100, 400]
          and sw["axes/width"].attrs["type"] == "int", "axes datasets with attributes")
    check(all(pts["index"] == np.arange(12)) and (pts["status"] == status["pending"]).sum() == 2,
          "12 rows in index order, 2 pending")
    traj = sw["trajectories"][...]
    ok = True
    for row in pts[pts["status"] != status["pending"]]:
        t = traj[row["traj_offset"]:row["traj_offset"] + row["traj_count"]]
        ok &= bool((t["key_hash"] == row["key_hash"]).all()) and len(t) == 3 + row["index"] % 6
    check(ok, "every done row's trajectory slice belongs to it")

# --- status ---------------------------------------------------------------------
r = run("status", "quickstart.h5")
check(r.returncode == 0 and "progress 10/12 done (83.3%), 2 pending" in r.stdout,
      "status: progress line")
check("failures 2" in r.stdout and "synthetic failure of point 3" in r.stdout
      and "error 2" in r.stdout, "status: counts and failures with messages")
check("slowest" in r.stdout and "#9 " in r.stdout and "time     55 ms in total, 5.5 ms mean" in r.stdout,
      f"status: total/mean time and slowest point ({[l for l in r.stdout.splitlines() if l.startswith('time')]})")

# --- query, compared with h5py ----------------------------------------------------
r = run("query", "quickstart.h5", "--format", "json", "--select", "index,width,sigma2,rate,status,key")
rows = [json.loads(l) for l in r.stdout.splitlines()]
ok = len(rows) == 12
for q, p in zip(rows, pts):
    rate = None if np.isnan(p["rate"]) else float(p["rate"])
    ok &= (q["index"] == p["index"] and q["width"] == p["width"] and q["sigma2"] == p["sigma2"]
           and q["rate"] == rate and q["key"] == p["key"].decode()
           and status[q["status"]] == p["status"])
check(r.returncode == 0 and ok, "query json equals h5py's reading, row by row")
r = run("query", "quickstart.h5", "--where", 'status == "converged" && width >= 400 || !(rate < 0.509)',
        "--format", "csv", "--select", "index")
want = [int(p["index"]) for p in pts
        if (p["status"] == status["converged"] and p["width"] >= 400) or not (p["rate"] < 0.509)]
got = [int(x) for x in r.stdout.split()[1:]]
check(r.returncode == 0 and got == want, f"--where selects what numpy selects ({got})")
r = run("query", "quickstart.h5", "--pivot", "width,sigma2,rate", "--format", "json")
pv = json.loads(r.stdout)
ok = pv["x_values"] == [100, 400] and pv["y_values"] == [0.01, 1]
for yi, s2 in enumerate(pv["y_values"]):
    for xi, w in enumerate(pv["x_values"]):
        sel = pts[(pts["width"] == w) & (pts["sigma2"] == s2) & ~np.isnan(pts["rate"])]
        want = float(np.mean(sel["rate"])) if len(sel) else None
        cell = pv["cells"][yi][xi]
        ok &= (want is None and cell is None) or (cell is not None and abs(cell - want) < 1e-15)
check(r.returncode == 0 and ok, "pivot means equal numpy's over the seeds")
r = run("query", "quickstart.h5", "--pivot", "width,sigma2,rate", "--agg", "count")
check(r.returncode == 0 and "sigma2\\width" in r.stdout and r.stdout.splitlines()[-1].split()[1:] == ["3", "1"],
      f"pivot table with count: {r.stdout.splitlines()[-1:]}")
r = run("query", "quickstart.h5")
check(r.returncode == 0 and r.stdout.split("\n")[0].split() ==
      ["index", "width", "sigma2", "seed", "status", "final_loss", "rate", "iterations"],
      "default columns: index, axes, status, final_loss, rate, iterations")
r = run("query", "quickstart.h5", "--where", "width >= ")
check(one_line_error(r, 2, 'column 10: expected a value after'), f"--where parse error: {r.stderr.strip()}")
r = run("query", "quickstart.h5", "--select", "widht")
check(one_line_error(r, 2, "did you mean 'width'"), "--select unknown column")
r = run("query", "quickstart.h5", "--format", "xml")
check(r.returncode == 2 and "table, csv or json" in r.stderr, "bad --format")

# --- several sweeps -------------------------------------------------------------------
open("other.toml", "w").write('[sweep]\nname = "other"\nstore = "quickstart.h5"\n[grid]\nwidth = [100, 200]\n')
subprocess.run([MAKE_STORE, "other.toml", "quickstart.h5"], check=True)
r = run("query", "quickstart.h5")
check(one_line_error(r, 2, "holds several sweeps (other, quickstart): choose one with --sweep"),
      "query needs --sweep with two sweeps")
r = run("query", "quickstart.h5", "--sweep", "other", "--format", "csv", "--select", "width")
check(r.returncode == 0 and r.stdout.split() == ["width", "100", "200"], "query --sweep other")
r = run("status", "quickstart.h5")
check(r.returncode == 0 and "sweep    other" in r.stdout and "sweep    quickstart" in r.stdout,
      "status shows every sweep")
r = run("status", "quickstart.h5", "--sweep", "nope")
check(one_line_error(r, 2, "no sweep 'nope' in the store (it holds: other, quickstart)"), "unknown sweep")

# --- bad stores -----------------------------------------------------------------------
open("text.h5", "w").write("not a store\n")
with h5py.File("plain.h5", "w") as f:
    f["x"] = 1
shutil.copy("quickstart.h5", "newer.h5")
with h5py.File("newer.h5", "r+") as f:
    f.attrs["lrsweep_schema_version"] = np.int64(3)
data = open("quickstart.h5", "rb").read()
open("cut.h5", "wb").write(data[:len(data) // 2])
cases = [("missing.h5", "missing.h5: No such file or directory"),
         ("text.h5", "text.h5: not an HDF5 file"),
         ("plain.h5", "plain.h5: HDF5 file but not an lrsweep store"),
         ("newer.h5", "newer.h5: store schema version 3 is newer than this lrsweep reads (2)"),
         ("cut.h5", "cut.h5: store is truncated")]
for name, text in cases:
    for cmd in ("status", "query"):
        r = run(cmd, name)
        check(one_line_error(r, 2, text), f"{cmd} {name}: exit 2, one line: {r.stderr.strip()}")

# --- tables written before a column existed ---------------------------------------
# Rebuilt here without some columns (h5py: same chunking, extendible): a missing
# parameter reads as 0, its first enum value, as those points were solved.
def drop_columns(path, drop, source="quickstart.h5"):
    shutil.copy(source, path)
    with h5py.File(path, "r+") as f:
        ds = f["sweeps/quickstart/points"]
        rows, attrs, chunks = ds[...], dict(ds.attrs), ds.chunks
        names = [n for n in rows.dtype.names if n not in drop]
        old = np.empty(rows.shape, dtype=[(n, rows.dtype[n]) for n in names])
        for n in names:
            old[n] = rows[n]
        del f["sweeps/quickstart/points"]
        nd = f.create_dataset("sweeps/quickstart/points", data=old, chunks=chunks,
                              maxshape=(None,))
        for k, v in attrs.items():
            nd.attrs[k] = v
    return rows


def continue_sweep(path, sweep="quickstart.toml"):
    # (the sweep command starts MPI: Open MPI's own allocations are not ours to
    # chase under the sanitizers, as in tests/mainjob)
    return subprocess.run([LRSWEEP, sweep, "--store", path, "--quiet"],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))


# `coordinates` missing reads `full`; this sweep's points run `reduced`, so the
# stored points are not its points: continuing is refused.
drop_columns("older.h5", {"coordinates"})
r = run("query", "older.h5", "--sweep", "quickstart", "--format", "csv", "--select",
        "coordinates,status")
lines = r.stdout.split()
check(r.returncode == 0 and lines[0] == "coordinates,status" and len(lines) == 13 and
      all(ln.startswith("full,") for ln in lines[1:]),
      f"a table without the coordinates column reads `full` {r.stderr.strip()}")
r = continue_sweep("older.h5")
check(r.returncode == 2 and "(they ran coordinates = full)" in r.stderr and
      "run the sweep into a new store" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
      f"continuing it is refused with one clear line: {r.stderr.strip()[-200:]}")

# `tol_rel` missing: it reads 0 (off), what a sweep that does not set it runs, so
# that sweep continues; the table gains the column, the stored rows keep their
# results, and the pending points run.  The quickstart's own tol_rel is refused.
# (Result columns a table lacks are store-old-format's: a writer's row check
# skipped them, which a table cut down here could not imitate.)
open("no_tol_rel.toml", "w").write("".join(
    ln for ln in open("quickstart.toml") if not ln.startswith("tol_rel")))
subprocess.run([MAKE_STORE, "no_tol_rel.toml", "made.h5", "10"], check=True)
before = drop_columns("old_tol.h5", {"tol_rel"}, "made.h5")
r = continue_sweep("old_tol.h5")
check(r.returncode == 2 and "(they ran tol_rel = 0)" in r.stderr,
      f"a sweep setting tol_rel = 1e-12 is refused: {r.stderr.strip()[-200:]}")
r = continue_sweep("old_tol.h5", "no_tol_rel.toml")
check(r.returncode == 0, f"a table without tol_rel continues: {r.stderr.strip()[-200:]}")
with h5py.File("old_tol.h5", "r") as f:
    after = f["sweeps/quickstart/points"][...]
names = set(after.dtype.names)
done = np.arange(len(before)) < 10  # make_store wrote 10 of the 12 points
check("tol_rel" in names and np.all(after["tol_rel"] == 0),
      "the rebuilt table has the column, tol_rel = 0")
check(all(np.array_equal(after[c][done], before[c][done], equal_nan=True)
          for c in ("status", "final_loss", "rate", "iterations", "row_check")),
      "the stored rows keep their results")
check(len(after) == 12 and np.all(np.isfinite(after["final_loss"])),
      "the points still pending ran")

# A parameter of other methods only (the parameter table's `methods`) was inert in
# the stored points: Adam's three and GF's horizon missing from this table of gd
# points, the quickstart (adam_beta1 = 0.9, horizon = 100 by default) continues
# and the table gains the columns.  max_iter acts with gd: missing, it is refused.
drop_columns("no_adam.h5", {"adam_beta1", "adam_beta2", "adam_eps", "horizon"})
r = continue_sweep("no_adam.h5")
with h5py.File("no_adam.h5", "r") as f:
    names = set(f["sweeps/quickstart/points"].dtype.names)
check(r.returncode == 0 and {"adam_beta1", "adam_beta2", "adam_eps", "horizon"} <= names,
      f"a gd table without Adam's and GF's parameters continues: {r.stderr.strip()[-200:]}")
drop_columns("no_iter.h5", {"max_iter"})
r = continue_sweep("no_iter.h5")
check(r.returncode == 2 and "(they ran max_iter = 0)" in r.stderr,
      f"a gd table without max_iter (a gd parameter) is refused: {r.stderr.strip()[-200:]}")

shutil.rmtree(tmp)
sys.exit(tap.done())
