#!/usr/bin/python3
"""Trustworthy output (issue 19): range axes hold the decimals people type,
and stores written before that still open and resume (TAP output).

usage: test_output.py LRSWEEP
"""
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok


def run(*args):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))


def points(path, sweep):
    with h5py.File(path, "r", swmr=True) as f:
        g = f["sweeps/" + sweep]
        return g["points"][: int(g["rows"][0])], {k: g["axes"][k][...] for k in g["axes"]}


tmp = tempfile.mkdtemp(prefix="lrs-output-")
os.chdir(tmp)

HEAD = """[sweep]
name = "axes"
store = "%s"
[problem]
input_dim = 3
output_dim = 2
width = 4
[solver]
step_rule = "fixed"
max_iter = 30
[grid]
"""
RANGE = HEAD % "axes.h5" + """step_size = { log = [1e-4, 1.0], num = 9 }
sigma2 = { lin = [0.0, 0.5], num = 6 }
"""

# --- 1. range axes: the shortest decimals ----------------------------------------------
open("range.toml", "w").write(RANGE)
r = run("range.toml", "--quiet")
check(r.returncode == 0, f"the range sweep runs {r.stderr.strip()[-300:]}")
rows, axes = points("axes.h5", "axes")
# Independent: the decades are the decimals 1e-4 … 1; the half decades are 10^(k/2)
# to 1e-12; the linear points are the decimals 0, 0.1, …, 0.5 (0.1·3 would be
# 0.30000000000000004 by repeated addition).
step = list(axes["step_size"])
decades = [float(f"1e{-4 + k}") for k in range(5)]
check(step[0::2] == decades, f"step_size stores 0.0001, 0.001, …, 1 exactly: {step[0::2]}")
check(all(abs(step[2 * k + 1] / 10 ** (-3.5 + k) - 1) <= 1e-12 for k in range(4)),
      f"the half decades are 10^(k/2) within 1e-12: {step[1::2]}")
check(list(axes["sigma2"]) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
      f"sigma2 stores 0, 0.1, …, 0.5 exactly: {list(axes['sigma2'])}")
keys = [k.decode() for k in rows["key"]]
check("seed=0,sigma2=0.3,step_size=0.001" in keys and
      not any("0000000" in k for k in keys), "keys carry the short decimals")
r = run("query", "axes.h5", "--where", "step_size == 0.001", "--format", "csv",
        "--select", "step_size")
check(r.returncode == 0 and r.stdout.split() == ["step_size"] + ["0.001"] * 6 and r.stderr == "",
      f"--where 'step_size == 0.001' matches its 6 rows {r.stdout.split()[:3]} {r.stderr.strip()}")
r = run("query", "axes.h5", "--where", "step_size == 0.002 || sigma2 == 0.22", "--format", "csv",
        "--select", "index")
check(r.returncode == 0 and r.stdout.split() == ["index"] and
      "step_size == 0.002 matches no row; the nearest value is 0.001" in r.stderr and
      "sigma2 == 0.22 matches no row; the nearest value is 0.2" in r.stderr,
      f"a literal no axis value equals is named with the nearest value: {r.stderr.strip()}")
r = run("query", "axes.h5", "--pivot", "step_size,sigma2,final_loss")
header = r.stdout.splitlines()[1].split() if r.returncode == 0 else []
check(header[1:] == ["0.0001", "0.000316227766017", "0.001", "0.00316227766017", "0.01",
                     "0.0316227766017", "0.1", "0.316227766017", "1"],
      f"pivot headers are the short decimals: {header}")

# --- 2. a store of the unrounded expansion (lrsweep before the rounding) --------------
# An older lrsweep expanded the same range as exp(log a + f (log b − log a)), ends
# exact: written here as a list, the store then given the range text, as that
# lrsweep stored it.
old_step = [1e-4] + [math.exp(math.log(1e-4) + k / 8 * (math.log(1.0) - math.log(1e-4)))
                     for k in range(1, 8)] + [1.0]
check(old_step[2] != 1e-3, f"the unrounded expansion misses 0.001: {old_step[2]!r}")
LIST = HEAD % "old.h5" + "step_size = [%s]\n" % ", ".join(repr(v) for v in old_step)
open("list.toml", "w").write(LIST)
r = run("list.toml", "--quiet")
check(r.returncode == 0, f"the old-format store is written {r.stderr.strip()[-300:]}")
old_text = HEAD % "old.h5" + "step_size = { log = [1e-4, 1.0], num = 9 }\n"
open("old.toml", "w").write(old_text)
with h5py.File("old.h5", "r+") as f:
    g = f["sweeps/axes"]
    g.attrs["sweep_text"] = old_text
    g.attrs["sweep_sha256"] = hashlib.sha256(old_text.encode()).hexdigest()
    g["axes/step_size"].attrs["log_scale"] = 1
    pts = g["points"]
    status = h5py.check_enum_dtype(pts.dtype["status"])
    for i in (2, 5):  # torn rows: read as pending, computed again on resume
        row = pts[i]
        row["status"] = status["pending"]
        pts[i] = row
before, _ = points("old.h5", "axes")
r = run("query", "old.h5", "--where", "step_size == 0.001", "--format", "csv", "--select", "key")
check(r.returncode == 0 and r.stdout.split() == ["key"] and
      "the nearest value is 0.0010000000000000002" in r.stderr,
      f"the old store opens; 0.001 names its stored neighbour: {r.stderr.strip()}")
r = run("status", "old.h5")
check(r.returncode == 0 and "7/9 done" in r.stdout, f"status reads it: {r.stdout.splitlines()[:2]}")
r = run("old.toml", "--quiet")
check(r.returncode == 0, f"resuming it with the range file succeeds {r.stderr.strip()[-300:]}")
after, axes = points("old.h5", "axes")
check(list(after["key"]) == list(before["key"]) and list(axes["step_size"]) == old_step,
      "the resumed store keeps its stored axis values and keys")
check(all(s != status["pending"] for s in after["status"]),
      "its two pending points were computed under their stored keys")
r = run("old.toml")
check(r.returncode == 0 and "keeping the stored values of axis step_size" in r.stderr,
      f"the resume says it keeps the stored values: {r.stderr.strip()[:200]}")
check(r.returncode == 0 and "lrsweep: axes: nothing to do: 9 of 9 points stored" in r.stderr and
      "0/0 points" not in r.stderr and "ETA" not in r.stderr,
      f"a rerun with every point stored says 'nothing to do' and no 0/0 progress: {r.stderr!r}")
r = run("--help")
check(r.returncode == 0 and "75 the main job was" in r.stdout, "--help lists exit 75")
r = run("rerun", "old.h5", "--point", "2")
check(r.returncode == 0, f"rerun of a point of the old store matches {r.stdout.strip()[-200:]}")

# --- 3. missing values ------------------------------------------------------------------
# In axes.h5 small steps never reach 1e-6·L0 in 30 iterations and large ones
# diverge: iters_to_6 is -1 in the file for both.  Expected cells from the raw
# rows with numpy, reached rows only.
rows, _ = points("axes.h5", "axes")
it6 = rows["iters_to_6"]
check((it6 == -1).any() and (it6 >= 0).any(), "the store has reached and never-reached points")
r = run("query", "axes.h5", "--pivot", "sigma2,seed,iters_to_6", "--agg", "median")
lines = r.stdout.splitlines()
cells = lines[2].split()[1:] if len(lines) > 2 else []
sig = sorted(set(rows["sigma2"]))
want = []
for s_ in sig:
    got = it6[(rows["sigma2"] == s_) & (it6 >= 0)]
    want += [f"{np.median(got):.6g}", f"(n={len(got)})"] if len(got) else ["-", "(n=0)"]
check(r.returncode == 0 and cells == want and any(0 < (
      ((rows["sigma2"] == s_) & (it6 >= 0)).sum()) < 9 for s_ in sig),
      f"median pivot cells come from reached points only and say how many: {cells} vs {want}")
check("(n=K): the values a cell holds" in r.stdout, "the pivot says what (n=K) means")
r = run("query", "axes.h5", "--pivot", "step_size,sigma2,iters_to_6", "--format", "csv")
body = [ln.split(",")[1:] for ln in r.stdout.splitlines()[1:]]
check(r.returncode == 0 and any("" in b for b in body) and not any("-1" in b for b in body),
      "pivot CSV: a cell without values is empty, never -1")
r = run("query", "axes.h5", "--pivot", "step_size,sigma2,iters_to_6", "--format", "json")
import json  # noqa: E402
obj = json.loads(r.stdout) if r.returncode == 0 else {}
flat = [c for row in obj.get("cells", []) for c in row]
cnt = [c for row in obj.get("counts", []) for c in row]
check(None in flat and -1 not in flat and len(cnt) == len(flat) and
      all((c is None) == (k == 0) for c, k in zip(flat, cnt)),
      "pivot JSON: null cells, with counts 0 exactly there")
r = run("query", "axes.h5", "--select", "index,iters_to_6,rate_begin", "--format", "csv")
body = [ln.split(",") for ln in r.stdout.splitlines()[1:]]
never = {int(i) for i in rows["index"][it6 == -1]}
check(r.returncode == 0 and len(body) == len(rows) and
      all((b[1] == "") == (int(b[0]) in never) for b in body) and
      not any("-1" in b for b in body), "row CSV: never-reached is an empty field")
r = run("query", "axes.h5", "--select", "index,iters_to_6", "--format", "json")
objs = [json.loads(ln) for ln in r.stdout.splitlines()]
check(r.returncode == 0 and all((o["iters_to_6"] is None) == (o["index"] in never) for o in objs),
      "row JSON: never-reached is null")
r = run("query", "axes.h5", "--pivot", "step_size,sigma2,iters_to_6", "--plot")
check(r.returncode == 0 and "?" in r.stdout and "'?' none" in r.stdout,
      "--plot draws never-reached cells as the 'none' mark, with a legend")
r = run("query", "axes.h5", "--where", "iters_to_6 < 0", "--format", "csv", "--select", "index")
check(r.returncode == 0 and r.stdout.split() == ["index"], "--where iters_to_6 < 0: no row (missing)")
# frac: the share of converged rows per step_size, against numpy
st_enum = None
with h5py.File("axes.h5", "r") as f:
    st_enum = h5py.check_enum_dtype(f["sweeps/axes/points"].dtype["status"])
r = run("query", "axes.h5", "--pivot", "step_size,seed,status", "--agg", "frac",
        "--predicate", 'status == "converged" || status == "max_iter"', "--format", "json")
obj = json.loads(r.stdout) if r.returncode == 0 else {}
ok_st = {st_enum["converged"], st_enum["max_iter"]}
want = [float(np.mean([s_ in ok_st for s_ in rows["status"][rows["step_size"] == v]]))
        for v in sorted(set(rows["step_size"]))]
check(r.returncode == 0 and obj.get("agg") == "frac" and
      all(abs(a - b) < 1e-15 for a, b in zip(obj["cells"][0], want)) and len(want) == 9,
      f"--agg frac: the share of rows where the predicate holds: {obj.get('cells')} vs {want}")

# --- status --format json and --watch ----------------------------------------------------
r = run("status", "axes.h5", "--format", "json", "--watch", "0.2")
objs = [json.loads(ln) for ln in r.stdout.splitlines()] if r.returncode == 0 else []
rows, _ = points("axes.h5", "axes")
inv = {v: k for k, v in st_enum.items()}
want = {name: int((rows["status"] == code).sum()) for name, code in st_enum.items()}
check(len(objs) == 1 and objs[0]["sweep"] == "axes" and objs[0]["points"] == len(rows) and
      objs[0]["pending"] == 0 and all(objs[0]["status"][k] == v for k, v in want.items()),
      f"status --format json counts each outcome as h5py does; --watch ends when none is "
      f"pending: {objs[:1]}")
r = run("status", "old.h5", "--format", "xml")
check(r.returncode == 2 and "--format must be text or json" in r.stderr, "status --format xml: exit 2")

# --- 4. a [refine] added to a finished sweep: history and provenance ---------------------
shutil.copy("axes.h5", "refined.h5")
REFINE = RANGE + """[refine]
axis = "step_size"
predicate = 'status == "diverged"'
rtol = 0.3
max_generations = 3
"""
open("refine.toml", "w").write(REFINE)
r = run("refine.toml", "--store", "refined.h5", "--quiet")
check(r.returncode == 0, f"the refinement of the finished sweep runs {r.stderr.strip()[-300:]}")
with h5py.File("refined.h5", "r") as f:
    g = f["sweeps/axes"]
    hist = g["history"] if "history" in g else {}
    texts = [hist[k].attrs["sweep_text"] for k in sorted(hist, key=int)]
    firsts = [int(hist[k].attrs["first_row"]) for k in sorted(hist, key=int)]
    latest = g.attrs["sweep_text"]
    shas = [hist[k].attrs["sweep_sha256"] for k in sorted(hist, key=int)]
rows, _ = points("refined.h5", "axes")
check(texts == [RANGE, REFINE] and latest == REFINE,
      f"the store holds both sweep texts, the latest as sweep_text ({len(texts)} in history)")
check(shas == [hashlib.sha256(t.encode()).hexdigest() for t in texts],
      "each history entry carries its text's SHA-256")
origin = h5py.check_enum_dtype(rows.dtype["origin"])
check(firsts == [0, 54] and len(rows) > 54 and
      all(o == origin["grid"] for o in rows["origin"][:54]) and
      all(o != origin["grid"] for o in rows["origin"][54:]),
      f"provenance: rows from first_row 54 on were added under the second text ({len(rows)} rows)")
r = run("query", "refined.h5", "--boundary", "step_size", "--format", "csv")
lines = r.stdout.splitlines()
check(r.returncode == 0 and lines and "boundary" in lines[0] and len(lines) == 1 + 6,
      f"query --boundary works without --predicate (the latest [refine]): {r.stderr.strip()}")
r = run("query", "refined.h5", "--pivot", "step_size,sigma2,final_loss", "--format", "json")
grid_only = json.loads(r.stdout) if r.returncode == 0 else {}
r = run("query", "refined.h5", "--pivot", "step_size,sigma2,final_loss", "--format", "json",
        "--all-rows")
every = json.loads(r.stdout) if r.returncode == 0 else {}
check(grid_only.get("x_values") == [float(v) for v in step] and
      len(every.get("x_values", [])) == len(set(rows["step_size"])) > 9,
      "a pivot takes the grid's rows by default; --all-rows adds the refinement's")

shutil.rmtree(tmp)
sys.exit(tap.done())
