"""[P1] Fig. 1's α1/α2 titles against both β2 readings (papers.md §1.7, §3.3).

Runs sweeps/p1_fig1.toml with method = "none" (the t = 0 theory only, 270
points) through the main job into a temporary store, then averages α1/α2 over
the 30 seeds of each (h, σ²) cell from the store's columns: with ‖W*‖_F in β2
(alpha2_fro) every mean is within 0.01 of the paper's title; the printed
σ_max(W*) reading (alpha2) is reported beside it, and must be the larger ratio
(‖W*‖_F ≥ σ_max(W*) makes α2_fro ≥ α2).  A point solved with
beta2_norm = "frobenius" drives η_max by the Frobenius pair: its α2 columns are
the same, its η_max smaller.
Usage: test_fig1_beta2.py LRSWEEP SOURCE_ROOT (TAP output).
"""
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
tap = Tap()
check = tap.ok


# Fig. 1 titles (papers.md §1.7): h → values at σ² = 0.01, 0.1, 1.
TITLES = {500: (0.5549, 0.5545, 0.5509), 1000: (0.6749, 0.6746, 0.6725),
          4000: (0.8291, 0.8291, 0.8286)}
SIGMA2 = (0.01, 0.1, 1.0)

tmp = tempfile.mkdtemp(prefix="lrs-fig1-")
text = open(os.path.join(ROOT, "sweeps", "p1_fig1.toml")).read()
text = text.replace('method = "gd"', 'method = "none"')
text = re.sub(r'step_rule = \[[^\]]*\]\n', "", text)
text = re.sub(r'store = "[^"]*"', 'store = "fig1.h5"', text)
check('method = "none"' in text and "step_rule" not in text, "p1_fig1.toml turned theory-only")
open(os.path.join(tmp, "fig1.toml"), "w").write(text)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
r = subprocess.run([LRSWEEP, "fig1.toml", "--quiet"], cwd=tmp, capture_output=True, text=True,
                   timeout=900, env=env)
check(r.returncode == 0, f"the theory-only sweep ran: {r.stderr.strip()[-300:]}")

with h5py.File(os.path.join(tmp, "fig1.h5"), "r") as f:
    pts = f["sweeps"][list(f["sweeps"].keys())[0]]["points"][...]
check(len(pts) == 270, f"{len(pts)} points stored")
for h, titles in TITLES.items():
    for s2, title in zip(SIGMA2, titles):
        sel = (pts["width"] == h) & np.isclose(pts["sigma2"], s2)
        a1 = pts["alpha1"][sel]
        fro = float(np.mean(a1 / pts["alpha2_fro"][sel]))
        spec = float(np.mean(a1 / pts["alpha2"][sel]))
        check(sel.sum() == 30 and abs(fro - title) <= 0.01 and spec > fro,
              f"h = {h}, σ² = {s2}: mean α1/α2 with ‖W*‖_F = {fro:.4f} (title {title}), "
              f"printed σ_max(W*) = {spec:.4f}, over {sel.sum()} seeds")
ok_cols = np.all(pts["beta2_fro"] >= pts["beta2"]) and np.all(
    np.isclose(pts["asymptotic_rate_fro"], 1 - pts["alpha1"] / pts["alpha2_fro"], rtol=1e-12))
check(ok_cols, "β2_fro ≥ β2 on every point; asymptotic_rate_fro = 1 − (μ/K)α1/α2_fro (K = μ = 1)")

# beta2_norm = "frobenius" drives η_max by the Frobenius pair.
one = text.replace("replicates = 30", "replicates = 1").replace(
    '[solver]\n', '[solver]\nbeta2_norm = "frobenius"\n')
open(os.path.join(tmp, "one.toml"), "w").write(one)
one_s = text.replace("replicates = 30", "replicates = 1")
open(os.path.join(tmp, "one_s.toml"), "w").write(one_s)


def run_point(name):
    r = subprocess.run([LRSWEEP, "run", name, "--point", "0"], cwd=tmp, capture_output=True,
                       text=True, timeout=120)
    return dict(line.split(None, 1) for line in r.stdout.splitlines() if " " in line.strip())


fr, sp = run_point("one.toml"), run_point("one_s.toml")
check(fr.get("alpha2_fro") == sp.get("alpha2_fro") and float(fr["eta_max"]) < float(sp["eta_max"]),
      f"beta2_norm = frobenius: same columns, η_max {fr.get('eta_max')} < {sp.get('eta_max')} "
      "(the larger α2 drives it)")
sys.exit(tap.done())
