"""Stores written before columns were added still read (TAP output).

tests/store/data/schema2_a5d905d.h5 was written by lrsweep at commit a5d905d
(schema 2) from schema2_a5d905d.toml and repacked with gzip (h5repack -f
GZIP=9) to stay small.  It lacks the columns added since (loss_evals,
ls_failures, beta2_fro, alpha2_fro, asymptotic_rate_fro, bt_test,
bt_max_shrinks, xu2023_*, beta2_norm) and its status enum lacks
rule_undefined.  Its points must read as done (not "torn": the row check
skips the columns the file predates), the added result columns as unset
(NaN, -1), bt_test as "printed" (what its points ran), and the old columns
with their values.
Usage: test_old_store.py LRSWEEP SOURCE_ROOT
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
tap = Tap()
check = tap.ok


tmp = tempfile.mkdtemp(prefix="lrs-old-")
store = os.path.join(tmp, "old.h5")
shutil.copy(os.path.join(ROOT, "tests", "store", "data", "schema2_a5d905d.h5"), store)
r = subprocess.run([LRSWEEP, "status", store], capture_output=True, text=True, timeout=60)
check(r.returncode == 0 and "2/2 done" in r.stdout and "torn" not in r.stdout
      and "max_iter 2" in r.stdout, f"status: both points done, none torn: {r.stdout.strip()!r}")
r = subprocess.run([LRSWEEP, "query", store, "--select",
                    "status,iterations,final_loss,alpha2,loss_evals,ls_failures,beta2_fro,"
                    "alpha2_fro,bt_test,beta2_norm", "--format", "csv"],
                   capture_output=True, text=True, timeout=60)
rows = [line.split(",") for line in r.stdout.strip().splitlines()[1:]]
check(r.returncode == 0 and len(rows) == 2, f"query reads 2 rows {r.stderr.strip()}")
ok = all(x[0] == "max_iter" and x[1] == "5" and float(x[2]) > 0 and float(x[3]) > 0 and
         x[4] == x[5] == x[6] == x[7] == "" and  # missing: empty in csv (docs/store.md)
         x[8] == "printed" and x[9] == "spectral" for x in rows)
check(ok, f"old columns keep their values; added ones read unset, bt_test printed: {rows}")
r = subprocess.run([LRSWEEP, "query", store, "--where", 'status == "rule_undefined"',
                    "--format", "csv"], capture_output=True, text=True, timeout=60)
check(r.returncode == 0 and len(r.stdout.strip().splitlines()) <= 1,
      "a filter on the new status value runs on the old store (no rows)")
# rerun leaves out the summary columns the table predates (they read unset: comparing
# them would report DIFFERS for a point that reruns alike) and names them; what it still
# compares differs at most by rounding (a5d905d's numerics, another BLAS possibly).
r = subprocess.run([LRSWEEP, "rerun", store, "--point", "0", "--quiet"], capture_output=True,
                   text=True, timeout=120)
skipped = next((line.split("not compared: ")[1].split(" (the store predates")[0].split(", ")
                for line in r.stdout.splitlines() if "not compared: " in line), [])
worst = [line for line in r.stdout.splitlines() if line.startswith("DIFFERS")]
check(r.returncode in (0, 1) and {"loss_evals", "ls_failures", "beta2_fro", "alpha2_fro",
                                  "asymptotic_rate_fro"} <= set(skipped)
      and "iterations" not in skipped and "final_loss" not in skipped
      and all(float(w.split("difference ")[1].split()[0]) < 1e-12
              and w.split(" in ")[-1] not in skipped for w in worst),
      f"rerun of the old table names the columns it predates and compares the rest "
      f"{r.stdout.strip()!r} {r.stderr.strip()}")

# tests/store/data/lora_head_2eef01e.h5: a lora_head sweep (lora_head_2eef01e.toml on
# head_data.h5, 2 points) written by lrsweep 2eef01e, built from `git archive` (so its
# lrsweep_git reads not-a-checkout), and repacked with h5repack -L -f GZIP=9 (-L keeps
# the latest file format, which SWMR writing needs).  Its trajectories predate the
# record columns train_cross_entropy and test_cross_entropy: lrsweep reads them as
# NaN and compares the others bit for bit, python/lrsweep leaves them out, and a run
# that continues the store adds points without them.
NEW = ("train_cross_entropy", "test_cross_entropy")
for f in ("lora_head_2eef01e.h5", "lora_head_2eef01e.toml", "head_data.h5"):
    shutil.copy(os.path.join(ROOT, "tests", "store", "data", f), tmp)
head = os.path.join(tmp, "lora_head_2eef01e.h5")


def lrs(*args):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, timeout=120, cwd=tmp)


r = lrs("status", head)
check(r.returncode == 0 and "2/2 done" in r.stdout and "torn" not in r.stdout,
      f"lora_head store of 2eef01e: status reads both points done {r.stdout.strip()!r}")
for k in (0, 1):
    r = lrs("rerun", head, "--point", str(k), "--quiet")
    check(r.returncode == 0 and "identical  summary and trajectory bit for bit" in r.stdout
          and "not compared: train_cross_entropy, test_cross_entropy (the store predates" in r.stdout,
          f"rerun of point {k}: every stored column identical, the two it lacks named "
          f"{r.stdout.strip()!r} {r.stderr.strip()}")
sys.path.insert(0, os.path.join(os.path.abspath(ROOT), "python"))
import h5py  # noqa: E402
import numpy as np  # noqa: E402

import lrsweep  # noqa: E402
from lrsweep import store as lrsstore  # noqa: E402

with h5py.File(head, "r") as f:
    raw = f["sweeps/old-head/trajectories"][...]
t = lrsweep.trajectories(head)
check(len(t) == len(raw) == 6 and not any(c in t.columns for c in NEW)
      and np.array_equal(t["test_loss"].to_numpy(), raw["test_loss"])
      and np.array_equal(t["loss"].to_numpy(), raw["loss"]),
      "lrsweep.trajectories: the old columns with their values, the two new ones absent")
with lrsstore.Store(head) as st:
    tr = st.trajectory(1)
check(not any(c in tr for c in NEW) and np.array_equal(tr["train_acc"], raw["train_acc"][3:6]),
      "Store.trajectory: the same")
r = subprocess.run([sys.executable, os.path.join(ROOT, "analysis", "p2_classifier.py"), head],
                   capture_output=True, text=True, timeout=120)
rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| 0.1 |") or ln.startswith("| 1 |")]
check(r.returncode == 0 and len(rows) == 2 and all(ln.split("|")[3].strip() == "–" for ln in rows)
      and "written before train_cross_entropy existed" in r.stdout and "median train objective" in r.stdout,
      f"p2_classifier.py: no plain cross-entropy (–), says why, and judges the objective {r.stderr.strip()}")
r = lrs("merge", "merged.h5", head)
with h5py.File(os.path.join(tmp, "merged.h5"), "r") as f:
    merged = f["sweeps/old-head/trajectories"][...]
check(r.returncode == 0 and "note       an input's records predate train_cross_entropy, test_cross_entropy: "
      "NaN for its points in merged.h5" in r.stdout and all(np.isnan(merged[c]).all() for c in NEW)
      and len(merged) == 6,
      f"merge: the output has the columns, NaN for the old points, and says so {r.stdout.strip()!r}")
# The merged store records the input's sweep file as its sweep_source (not the input store),
# so that its relative data_file still resolves: a rerun computes the point, and differs
# only in the two columns the merge filled with NaN (docs/store.md).
with h5py.File(os.path.join(tmp, "merged.h5"), "r") as f:
    source = f["sweeps/old-head"].attrs["sweep_source"]
r = lrs("rerun", "merged.h5", "--point", "0", "--quiet")
check(source == "lora_head_2eef01e.toml" and r.returncode == 1
      and "DIFFERS    6 values; largest relative difference inf in train_cross_entropy" in r.stdout,
      f"rerun of a merged point finds its data file {source!r} {r.stdout.strip()!r} {r.stderr.strip()}")
# From another directory the sweep file's relative path (and so data_file) does not
# resolve: one line, at the data_file's place in the sweep file, and where to run from.
os.makedirs(os.path.join(tmp, "elsewhere"), exist_ok=True)
r = subprocess.run([LRSWEEP, "rerun", os.path.join(tmp, "merged.h5"), "--point", "0", "--quiet"],
                   capture_output=True, text=True, timeout=120, cwd=os.path.join(tmp, "elsewhere"))
check(r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith(
      'lrsweep: lora_head_2eef01e.toml:9:13: data_file = "head_data.h5": head_data.h5: ')
      and r.stderr.rstrip().endswith("run rerun from the directory the sweep ran in"),
      f"rerun elsewhere: where data_file was looked for and where to run from {r.stderr!r}")
# A run that continues it (a third init scale): the new point's records lack them too.
text = open(os.path.join(tmp, "lora_head_2eef01e.toml")).read()
open(os.path.join(tmp, "more.toml"), "w").write(
    text.replace("init_scale = [0.1, 1.0]", "init_scale = [0.1, 0.5, 1.0]"))
r = lrs("more.toml", "--store", head, "--quiet", "--extend")
with h5py.File(head, "r") as f:
    pts, traj = f["sweeps/old-head/points"][...], f["sweeps/old-head/trajectories"][...]
check(r.returncode == 0 and len(pts) == 3 and int(pts["traj_count"][1]) == 3 and len(traj) == 9
      and not any(c in traj.dtype.names for c in NEW) and traj[:6].tobytes() == raw.tobytes(),
      f"continued with a new point: its records appended in the stored columns, the old ones "
      f"unchanged {r.stderr.strip()}")
r = lrs("rerun", head, "--point", "1", "--quiet")
check(r.returncode == 0 and "identical  summary and trajectory bit for bit" in r.stdout
      and "not compared" in r.stdout,
      f"... and the new point reruns identical on the columns the store has {r.stdout.strip()!r}")
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(tap.done())
