"""`analysis/reproduce.py --quick` in CI, checked against the issue's numbers by
reading its stores with h5py alone (independent of the analysis package)."""
import os
import subprocess
import sys

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))
from jobctl import program  # noqa: E402


def points(path, name=None):
    with h5py.File(path, "r", swmr=True) as f:
        sweep = f["sweeps"][name or list(f["sweeps"])[0]]
        pts = sweep["points"][...]
        traj = sweep["trajectories"][...]
        names = {v: k for k, v in h5py.check_enum_dtype(pts.dtype["step_rule"]).items()}
        inits = {v: k for k, v in h5py.check_enum_dtype(pts.dtype["init"]).items()}
    return pts, traj, names, inits


def test_reproduce_quick(tmp_path):
    out = tmp_path / "rep"
    r = subprocess.run([sys.executable, os.path.join(REPO, "analysis", "reproduce.py"), "--quick",
                        "--out", str(out), "--lrsweep", program()],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-2000:]
    rep = (out / "REPORT.md").read_text()
    assert len(rep) > 1000 and "not run by this report yet" not in rep

    # [P1] Fig. 1: α1/α2 within 0.05 of the paper; `local` reaches 1e-24 in range.
    pts, traj, rules, _ = points(out / "stores" / "p1_fig1.h5", "p1-fig1")
    paper = {500: 0.555, 1000: 0.675, 4000: 0.829}
    ranges = {500: (20, 32), 1000: (16, 26), 4000: (11, 20)}
    for h in paper:
        sel = (pts["width"] == h) & np.isclose(pts["sigma2"], 0.01)
        ratio = np.mean(pts["alpha1"][sel] / pts["alpha2"][sel])
        assert abs(ratio - paper[h]) <= 0.05, (h, ratio)
        for row in pts[sel & (pts["step_rule"] == [k for k, v in rules.items() if v == "local"][0])]:
            loss = traj["loss"][row["traj_offset"]:row["traj_offset"] + row["traj_count"]]
            steps = traj["step"][row["traj_offset"]:row["traj_offset"] + row["traj_count"]]
            first = steps[np.argmax(loss <= 1e-24)] if np.any(loss <= 1e-24) else None
            assert first is not None and ranges[h][0] <= first <= ranges[h][1], (h, first)

    # [P2] Fig. 1: small init floor falls 3–5 decades per decade of α; spectral ≤ 1e-20.
    pts, _, _, inits = points(out / "stores" / "p2_fig1.h5")
    small = pts["init"] == [k for k, v in inits.items() if v == "small"][0]
    alphas = np.unique(pts["init_scale"][small])
    floors = [np.mean(np.log10(pts["final_loss"][small & (pts["init_scale"] == a)])) for a in alphas]
    slope = np.polyfit(np.log10(alphas), floors, 1)[0]
    assert 3.0 <= slope <= 5.0, slope
    assert np.all(pts["final_loss"][~small] <= 1e-20)

    # [P1] Fig. 2 (issue 17): xu2023 and the Armijo backtracking preset within 20% of
    # 59.5 / 40.5 / 21 and 19 / 14 / 11 iterations to 1e-24; in loss + gradient
    # evaluations local < xu2023 < backtracking on every seed.
    f2 = out / "stores" / "p1_fig2.h5"
    ev = {}
    for name, want in (("p1-fig2-xu2023", (59.5, 40.5, 21.0)), ("p1-fig2-backtracking", (19.0, 14.0, 11.0)),
                       ("p1-fig2-local", None)):
        pts, _, _, _ = points(f2, name)
        if name == "p1-fig2-local":
            b2 = h5py.check_enum_dtype(pts.dtype["beta2_norm"])  # name -> value
            pts = pts[pts["beta2_norm"] == b2["spectral"]]
        pts = np.sort(pts, order=["width", "seed"])
        ev[name] = pts["rhs_evals"] + pts["loss_evals"]
        assert np.all(pts["status"] == 1), name  # converged
        for h, w in zip((500, 1000, 4000), want or ()):
            it = pts["iterations"][pts["width"] == h].mean()
            assert abs(it - w) <= 0.2 * w, (name, h, it)
    assert np.all(ev["p1-fig2-local"] < ev["p1-fig2-xu2023"]) and np.all(ev["p1-fig2-xu2023"] < ev["p1-fig2-backtracking"])
    assert len(list((out / "stores" / "timing").glob("p1_fig2_t*.h5"))) == 3
