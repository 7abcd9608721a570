#!/usr/bin/python3
"""lora_head end to end (TAP): a small sweep over the init scale under mpirun into a
store, analysis/p2_classifier.py's rows (plain cross-entropy and objective) against
medians computed here from the store with h5py, its figure, its Spearman ρ against
SciPy's, and sweeps/p2_classifier.toml planning on the file scripts/make_digits.py
builds.

usage: test_p2_classifier.py LRSWEEP
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.stats import spearmanr

LRSWEEP = os.path.abspath(sys.argv[1])
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "analysis"))
import p2_classifier  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", PMIX_MCA_psec="native")
tap = Tap()
check = tap.ok


SWEEP = """
[sweep]
name = "head"
replicates = 4
[problem]
model = "lora_head"
data = "file"
data_file = "data.h5"
samples = 30
input_dim = 6
output_dim = 3
lora_rank = 2
init = "small"
loss = "softmax"
logistic_lambda = 0.01
[solver]
method = "adam"
step_size = 0.02
max_iter = 40
tol = 0.0
record_every = 10
[grid]
init_scale = [0.05, 0.5, 2.0]
"""

with tempfile.TemporaryDirectory() as tmp:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 6))
    W0 = rng.standard_normal((6, 3))
    lab = np.argmax(X @ W0 + 0.5 * rng.standard_normal((30, 3)), axis=1)
    lab[:3] = [0, 1, 2]
    with h5py.File(os.path.join(tmp, "data.h5"), "w") as f:
        f["X"], f["labels"], f["W0"] = X, lab, W0
        f["X_test"], f["labels_test"] = X[:10] + 0.1, lab[:10]
    open(os.path.join(tmp, "head.toml"), "w").write(SWEEP)
    r = subprocess.run(["mpirun", "-np", "3", LRSWEEP, "head.toml", "--quiet"], cwd=tmp,
                       capture_output=True, text=True, timeout=300, env=ENV)
    check(r.returncode == 0, f"a lora_head sweep runs under mpirun ({r.stderr.strip()[-300:]})")
    res = p2_classifier.rows(os.path.join(tmp, "head.h5"))
    with h5py.File(os.path.join(tmp, "head.h5"), "r") as f:
        pts = f["sweeps/head/points"][...]
        traj = f["sweeps/head/trajectories"][...]
    want = {}
    for p in pts:
        last = traj[p["traj_offset"] + p["traj_count"] - 1]
        want.setdefault(float(p["init_scale"]), []).append(
            (last["loss"] + p["loss_star"], last["train_acc"], last["test_acc"],
             last["train_cross_entropy"], last["test_cross_entropy"]))
    ok = len(res["rows"]) == 3
    for row in res["rows"]:
        v = np.array(want[row["std"]])
        ok &= row["n"] == 4 and row["train_objective"] == np.median(v[:, 0]) \
            and row["train_acc"] == np.median(v[:, 1]) and row["test_acc"] == np.median(v[:, 2]) \
            and row["train_ce"] == np.median(v[:, 3]) and row["test_ce"] == np.median(v[:, 4])
    check(ok, "rows: per-std medians of the last records, as h5py reads them: the plain "
          "cross-entropies (train_cross_entropy, test_cross_entropy) and the objective (loss + loss_star)")
    gap = [r["train_objective"] - r["train_ce"] for r in res["rows"]]
    check(res["reading"] == "train_ce" and all(g > 0 for g in gap) and res["lambda"] == [0.01]
          and "| train CE (median) | paper train loss (CE) | train objective CE + λ/2‖W‖² (median) |" in res["text"]
          and "(λ = 0.01)" in res["text"] and "median train CE" in res["text"],
          f"the table heads the paper's column beside the plain CE and the objective apart "
          f"(objective − CE = λ/2‖W‖²: {', '.join('%.3f' % g for g in gap)}); the verdict is on the CE")
    out = os.path.join(tmp, "p2.png")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "analysis", "p2_classifier.py"),
                        os.path.join(tmp, "head.h5"), "-o", out], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and os.path.getsize(out) > 20000 and f"figure: {out}" in r.stdout,
          f"-o draws the figure ({r.stderr.strip()[-200:]})")
    check(all(np.isfinite(np.array(want[a])).all() for a in want)
          and all(0 <= x[1] <= 1 for a in want for x in want[a]),
          "every point has a finite final loss and accuracies in [0, 1]")
    check(all(pts["data_sha256"][i] == pts["data_sha256"][0] and len(pts["data_sha256"][0]) == 64
              for i in range(len(pts))), "every point stores the data file's SHA-256")
    meds = [r["train_ce"] for r in res["rows"]]
    check(res["finding"] == (res["spearman"] >= 0.8 and meds[0] < meds[-1])
          and "smaller init gave lower train loss: " in res["text"],
          f"the verdict states the finding ({res['text'].strip().splitlines()[-1]})")
    x, y = [0.1, 0.2, 0.4, 0.8, 1.6], [3.0, 1.0, 2.0, 2.0, 5.0]
    check(abs(p2_classifier.spearman(x, y) - spearmanr(x, y).correlation) < 1e-12,
          "Spearman ρ (with ties) as SciPy computes it")

    # The shipped sweep plans on the file make_digits.py builds (240 points).
    os.makedirs(os.path.join(tmp, "sweeps", "data"))
    shutil.copy(os.path.join(ROOT, "sweeps", "p2_classifier.toml"), os.path.join(tmp, "sweeps"))
    r = subprocess.run([os.path.join(ROOT, "scripts", "make_digits.py"), "-o",
                        os.path.join(tmp, "sweeps", "data", "digits.h5")],
                       capture_output=True, text=True, timeout=300)
    r = subprocess.run([LRSWEEP, "plan", "sweeps/p2_classifier.toml"], cwd=tmp,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "points   240" in r.stdout,
          f"sweeps/p2_classifier.toml plans on the digits file: 8 stds × 30 seeds ({r.stderr.strip()})")

sys.exit(tap.done())
