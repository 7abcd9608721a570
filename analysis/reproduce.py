#!/usr/bin/python3
"""Reproduce the experiments of [P1] and [P2] with lrsweep and write OUT/REPORT.md.

Runs the paper sweeps of sweeps/ with the built lrsweep (under `mpirun -np NP` when
NP > 1; resuming stores that are already complete costs nothing), or with --no-run
only reads existing stores, then writes OUT/REPORT.md and figures: one table per
experiment with the paper's numbers (shared/papers.md §1.7, §2.4) beside lrsweep's
(mean ± std over seeds) and a verdict per row.

--quick runs copies of the sweeps with fewer seeds (written to a temporary
directory); it finishes in a few minutes on two cores with --np 3.

Examples:
    analysis/reproduce.py --quick --out reproduction/quick
    analysis/reproduce.py --out reproduction            # the full sweeps
    analysis/reproduce.py --no-run --stores DIR --out OUT
Exit 2 with one line for bad arguments or a bad store; 1 when lrsweep fails.
"""

import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)

import numpy as np  # noqa: E402

import lrsstore  # noqa: E402
from lrsstore import StoreError  # noqa: E402

# (sweep file stem, store file, sweep name, quick edits {key: value})
SWEEPS = [
    ("p1_fig1", "p1_fig1.h5", "p1-fig1", {"replicates": 3}),
    ("p1_fig2", "p1_fig2.h5", "p1-fig2", {"replicates": 3}),
    ("p1_fig2_local", "p1_fig2.h5", "p1-fig2-local", {"replicates": 3}),
    ("p1_g1_alpha_ratio", "p1_g1.h5", "p1-g1", {"replicates": 3}),
    ("p1_g2", "p1_g2.h5", "p1-g2", {"replicates": 3}),
    ("p2_fig1", "p2_fig1.h5", "p2-fig1", {"replicates": 3}),
    ("p2_fig1_gf", "p2_fig1_gf.h5", "p2-fig1-gf", {"replicates": 3}),
    ("p2_h1", "p2_h1.h5", "p2-h1", {"replicates": 2}),
]


class RunError(Exception):
    pass


# ------------------------------------------------------------------------------------
# running the sweeps


def quick_copy(src, dst, edits):
    text = open(src, encoding="utf-8").read()
    for key, val in edits.items():
        text, n = re.subn(r"(?m)^(%s\s*=\s*)[^#\n]*" % re.escape(key), r"\g<1>%s " % val, text)
        if n != 1:
            raise RunError("%s: cannot set %s for --quick (found %d times)" % (src, key, n))
    text = "# --quick copy written by analysis/reproduce.py: %s\n" % ", ".join(
        "%s = %s" % kv for kv in edits.items()) + text
    with open(dst, "w", encoding="utf-8") as fh:
        fh.write(text)


def run_sweeps(args, stores):
    lrs = args.lrsweep
    if not os.path.isfile(lrs) or not os.access(lrs, os.X_OK):
        raise StoreError("lrsweep binary %s not found or not executable (build it: meson setup build && ninja -C build; "
                         "or give --lrsweep / LRSWEEP)" % lrs)
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    tmp = tempfile.mkdtemp(prefix="lrs-reproduce-") if args.quick else None
    try:
        for stem, store, name, edits in SWEEPS:
            src = os.path.join(REPO, "sweeps", stem + ".toml")
            if not os.path.isfile(src):
                raise StoreError("%s: sweep file missing" % src)
            if tmp:
                dst = os.path.join(tmp, stem + ".toml")
                quick_copy(src, dst, edits)
                src = dst
            cmd = [os.path.abspath(lrs), src, "--store", os.path.join(stores, store), "--quiet"]
            if args.np > 1:
                mpirun = shutil.which("mpirun")
                if mpirun is None:
                    raise StoreError("--np %d needs mpirun on PATH (or use --np 1)" % args.np)
                cmd = [mpirun, "--oversubscribe", "-np", str(args.np)] + cmd
            print("reproduce.py: running %s" % " ".join(cmd), file=sys.stderr, flush=True)
            t0 = datetime.datetime.now()
            proc = subprocess.Popen(cmd, env=env, cwd=stores, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # SIGTERM/SIGINT/SIGUSR1 (e.g. SLURM's --signal) go to lrsweep, which drains and exits 75
            old = {sig: signal.signal(sig, lambda s, f, p=proc: p.send_signal(s))
                   for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
            try:
                out, err = proc.communicate()
            finally:
                for sig, h in old.items():
                    signal.signal(sig, h)
            if proc.returncode == 75:
                raise RunError("interrupted by a signal while running %s; the stores are consistent: run the same "
                               "command again to resume" % stem)
            if proc.returncode != 0:
                last = (err.strip().splitlines() or out.strip().splitlines() or ["(no output)"])[-1]
                raise RunError("lrsweep failed on %s (exit %d): %s" % (stem, proc.returncode, last))
            print("reproduce.py:   %s done in %.1f s" % (name, (datetime.datetime.now() - t0).total_seconds()),
                  file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------
# statistics and table helpers


def ms(v, fmt="%.3f"):
    """'mean ± std (n=N)' of the finite values."""
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "—"
    if v.size == 1:
        return (fmt % v[0]) + " (n=1)"
    return "%s ± %s (n=%d)" % (fmt % v.mean(), fmt.replace("+", "") % v.std(ddof=1), v.size)


def fmean(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def v_close(mean, paper, tol, fmt="%.3g"):
    if not np.isfinite(mean):
        return "no data"
    d = mean - paper
    if abs(d) <= tol:
        return "matches (|Δ| = %s ≤ %s)" % (fmt % abs(d), fmt % tol)
    return "**differs** by %s%s" % ("+" if d > 0 else "−", fmt % abs(d))


def v_range(mean, lo, hi, fmt="%.1f"):
    if not np.isfinite(mean):
        return "no data (never reached)"
    if lo <= mean <= hi:
        return "matches (inside %g–%g)" % (lo, hi)
    d = mean - hi if mean > hi else mean - lo
    return "**differs**: %s%s outside %g–%g" % ("+" if d > 0 else "−", fmt % abs(d), lo, hi)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def first_step_below(tr, thr, xcol="step"):
    loss = tr["loss"]
    idx = np.flatnonzero(np.isfinite(loss) & (loss <= thr))
    return float(tr[xcol][idx[0]]) if idx.size else float("nan")


def log10(v):
    v = np.asarray(v, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(v > 0, np.log10(np.where(v > 0, v, 1)), np.nan)


class Ctx:
    def __init__(self, args, stores):
        self.args = args
        self.stores = stores
        self.out = args.out
        self.figs = []
        self.missing = []
        self._open = {}

    def store(self, store, name):
        path = os.path.join(self.stores, store)
        if not os.path.exists(path):
            self.missing.append("%s (sweep %s)" % (path, name))
            return None, None
        st = self._open.get(path) or lrsstore.Store(path)
        self._open[path] = st
        if name not in st.sweeps:
            self.missing.append("%s has no sweep %s" % (path, name))
            return None, None
        pts = st.points(name)
        if np.any(pts["status"] == "pending"):
            self.missing.append("%s: sweep %s has %d pending points" % (path, name, int(np.sum(pts["status"] == "pending"))))
        return st, pts

    def figure(self, script, store, fname, *opts):
        """Draw a figure with one of the analysis scripts; returns a Markdown image link."""
        path = os.path.join(self.out, fname)
        cmd = [sys.executable, os.path.join(HERE, script), os.path.join(self.stores, store), "-o", path] + list(opts)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return "*(figure %s failed: %s)*" % (fname, (r.stderr.strip().splitlines() or ["?"])[-1])
        self.figs.append(fname)
        return "![%s](%s)" % (fname, fname)

    def close(self):
        for st in self._open.values():
            st.close()


# ------------------------------------------------------------------------------------
# experiments


def p1_fig1(c):
    st, pts = c.store("p1_fig1.h5", "p1-fig1")
    if st is None:
        return "## [P1] Fig. 1 — store missing\n"
    L = ["## [P1] Fig. 1: GD on n = m = 10, X orthogonal, N(0,1) init (sweep `p1-fig1`)", ""]
    done = pts["status"] != "pending"
    loc = done & (pts["step_rule"] == "local")
    ratio = pts["alpha1"] / pts["alpha2"]
    paper = {500: (0.5549, 0.5545, 0.5509), 1000: (0.6749, 0.6746, 0.6725), 4000: (0.8291, 0.8291, 0.8286)}
    s2s = (0.01, 0.1, 1.0)
    rows = []
    for h, vals in paper.items():
        for s2, pv in zip(s2s, vals):
            sel = loc & (pts["width"] == h) & np.isclose(pts["sigma2"], s2)
            rows.append(["h = %d, σ² = %g" % (h, s2), "%.4f" % pv, ms(ratio[sel], "%.4f"), v_close(fmean(ratio[sel]), pv, 0.01, "%.3f")])
    L += ["### α1/α2 at initialization (Fig. 1 panel titles)", "",
          table(["point", "paper", "lrsweep", "verdict (tolerance 0.01)"], rows), "",
          "lrsweep evaluates β2 = σ_max(W*) + √(K/μ)‖W(0) − W*‖ as printed in [P1] (papers.md §1.3). "
          "The numerics engineers found that with the Frobenius norm ‖W*‖_F in place of σ_max(W*) the "
          "paper's values are matched, i.e. the paper's figures were most likely computed with ‖W*‖_F; "
          "lrsweep records the printed formula, so its α1/α2 is larger by ≈ 0.01–0.04. The store does not "
          "hold ‖W*‖_F, so the alternative cannot be recomputed here.", ""]

    # log10 L(0)
    rows = []
    for s2, pv in zip(s2s, (-2.5, -0.5, 1.5)):
        sel = loc & np.isclose(pts["sigma2"], s2)
        m = log10(pts["loss0"][sel])
        rows.append(["σ² = %g" % s2, "≈ %+.1f" % pv, ms(m, "%+.2f"), v_close(fmean(m), pv, 0.3, "%.2f")])
    L += ["### log10 L(0)", "", table(["point", "paper (read off Fig. 1)", "lrsweep", "verdict (tolerance 0.3)"], rows), ""]

    # iterations to 1e-24 of the local rule, from the trajectories
    rng = {500: (23, 28), 1000: (19, 22), 4000: (14, 16)}
    rows = []
    gaps = []
    for h, (lo, hi) in rng.items():
        for s2 in s2s:
            sel = np.flatnonzero(loc & (pts["width"] == h) & np.isclose(pts["sigma2"], s2))
            its, gap = [], []
            for r in sel:
                tr = st.trajectory(int(r), "p1-fig1")
                t = first_step_below(tr, 1e-24)
                its.append(t)
                if np.isfinite(t):
                    k = int(np.flatnonzero(tr["step"] == t)[0])
                    gap.append(log10(tr["bound_local"][k]) - log10(tr["loss"][k]))
            its = np.array(its, dtype=float)
            never = int(np.sum(~np.isfinite(its)))
            gaps += gap
            rows.append(["h = %d, σ² = %g" % (h, s2), "%d–%d" % (lo, hi),
                         ms(its, "%.1f") + (", %d never" % never if never else ""),
                         "%d–%d" % (np.nanmin(its), np.nanmax(its)) if np.isfinite(its).any() else "—",
                         v_range(fmean(its), lo, hi), ms(gap, "%.1f")])
    L += ["### `local` rule: iterations until L ≤ 1e-24", "",
          "First iteration whose recorded loss is ≤ 1e-24 (the store's `iters_to_*` stop at 1e-10·L0, so this is "
          "read from the trajectories). Last column: log10(Πρ·L0) − log10 L at that iteration (the paper: the "
          "product bound stays \"within a few decades\").", "",
          table(["point", "paper", "lrsweep mean ± std", "lrsweep min–max", "verdict", "bound gap (decades)"], rows), ""]

    # rates vs theory
    import rates  # noqa: E402

    fr = rates.fractions(pts, done & (pts["method"] == "gd") & np.isfinite(pts["rate"]))
    L += ["### Measured rate against the theory", ""]
    for col, (n, k) in fr.items():
        L.append("- %s: %d of %d points (%.0f%%) decay at least as fast as the bound." % (col, k, n, 100.0 * k / n if n else float("nan")))
    L += ["",
          c.figure("trajectories.py", "p1_fig1.h5", "p1_fig1_local.png", "--where", 'step_rule == "local"', "--facet", "width",
                   "--title", "[P1] Fig. 1, local rule: log10 L and bounds (dashed)"),
          c.figure("trajectories.py", "p1_fig1.h5", "p1_fig1_global.png", "--where", 'step_rule == "global"', "--facet", "width",
                   "--title", "[P1] Fig. 1, global rule"),
          c.figure("phase_diagram.py", "p1_fig1.h5", "p1_fig1_alpha_ratio.png", "--x", "width", "--y", "sigma2",
                   "--z", "alpha1/alpha2", "--where", 'step_rule == "local"', "--agg", "mean",
                   "--title", "[P1] Fig. 1: α1/α2 (mean over seeds)"),
          c.figure("rates.py", "p1_fig1.h5", "p1_fig1_rates.png", "--color", "width"), ""]
    return "\n".join(L)


def p1_fig2(c):
    st, bt = c.store("p1_fig2.h5", "p1-fig2")
    st2, lo = c.store("p1_fig2.h5", "p1-fig2-local")
    if st is None or st2 is None:
        return "## [P1] Fig. 2 — store missing\n"
    L = ["## [P1] Fig. 2: wall-clock time to the floor, `local` vs `backtracking`, σ² = 1 (sweeps `p1-fig2-local`, `p1-fig2`)", "",
         "Runs stop at L ≤ 1e-24, so `wall_seconds` is the time to the floor. Backtracking here is the test as printed "
         "(τ = 0.1, γ = 0.9, no η factor, `bt_test = \"printed\"`, its search capped at 17 shrinks); η_bt is not "
         "given by the paper and is the grid's step_size. `xu2023` and the Armijo search that fits the figure "
         "(papers.md §3.1–3.2) are implemented but not yet run by this report: tests/solver checks their counts in "
         "the Fig. 2 setting.", ""]
    rows = []
    for h in (500, 1000, 4000):
        sl = (lo["width"] == h) & (lo["status"] != "pending")
        tl = fmean(lo["wall_seconds"][sl & (lo["status"] == "converged")])
        rows.append(["h = %d" % h, "local", "—", ms(lo["iterations"][sl], "%.1f"), "%d/%d" % (np.sum(lo["status"][sl] == "converged"), sl.sum()),
                     ms(1e3 * lo["wall_seconds"][sl], "%.1f"), "1", "reference"])
        for eta in np.unique(bt["step_size"]):
            sb = (bt["width"] == h) & (bt["step_size"] == eta) & (bt["status"] != "pending")
            tb = fmean(bt["wall_seconds"][sb & (bt["status"] == "converged")])
            ratio = tb / tl if tl > 0 else float("nan")
            unsat = int(np.sum(np.char.find(bt["message"][sb].astype(str), "sufficient-decrease test failed") >= 0))
            verdict = ("matches (≈ 10×)" if 5 <= ratio <= 20 else "**differs**: backtracking/local time ratio %.2f, paper ≈ 10" % ratio)
            rows.append(["h = %d" % h, "backtracking η_bt = %g" % eta, "%d/%d" % (unsat, sb.sum()), ms(bt["iterations"][sb], "%.1f"),
                         "%d/%d" % (np.sum(bt["status"][sb] == "converged"), sb.sum()),
                         ms(1e3 * bt["wall_seconds"][sb], "%.1f"), "%.2f" % ratio, verdict])
        rows.append(["h = %d" % h, "xu2023", "", "", "", "", "", "not run by this report yet"])
    L += [table(["width", "rule", "printed test unsatisfiable", "iterations to 1e-24", "converged", "wall ms to floor",
                 "time ratio vs local (paper ≈ 10)", "verdict"], rows), "",
          "Where the printed sufficient-decrease test cannot be met, the search stops at its guard (17 shrinks), takes the "
          "tried step with the smallest loss, counts a line-search failure and says so in the point's message; the count "
          "is in the third column.", "",
          c.figure("trajectories.py", "p1_fig2.h5", "p1_fig2_backtracking.png", "--sweep", "p1-fig2", "--facet", "width",
                   "--no-bounds", "--title", "[P1] Fig. 2: backtracking (the printed test, with its guard)"), ""]
    return "\n".join(L)


def p1_g1(c):
    st, pts = c.store("p1_g1.h5", "p1-g1")
    if st is None:
        return "## [P1] App. G.1 — store missing\n"
    L = ["## [P1] App. G.1: α1/α2 against width for N(0, h^−2p) init (sweep `p1-g1`, theory only)", ""]
    ratio = pts["alpha1"] / pts["alpha2"]
    paper = {0.275: (0.34, 0.57), 0.375: (0.14, 0.22), 0.475: (0.045, 0.055)}
    rows = []
    hs = np.unique(pts["width"])
    for p, (a, b) in paper.items():
        for h, pv in ((hs.min(), a), (hs.max(), b)):
            sel = (pts["width"] == h) & np.isclose(pts["init_exponent"], p)
            m = fmean(ratio[sel])
            rows.append(["p = %g, h = %d" % (p, h), "≈ %g" % pv, ms(ratio[sel], "%.4f"), v_close(m, pv, 0.15 * pv, "%.3g")])
    mean_at = {(p, h): fmean(ratio[(pts["width"] == h) & np.isclose(pts["init_exponent"], p)]) for p in paper for h in hs}
    grows = all(mean_at[(p, hs.max())] > mean_at[(p, hs.min())] for p in paper)
    ps = sorted(paper)
    falls = all(mean_at[(ps[i], h)] > mean_at[(ps[i + 1], h)] for i in range(len(ps) - 1) for h in hs)
    L += [table(["point", "paper (read off the figure)", "lrsweep", "verdict (tolerance 15%)"], rows), "",
          "- Trend: α1/α2 grows with h for every p — %s; falls with p at every h — %s (the paper's qualitative claim)."
          % ("yes" if grows else "**no**", "yes" if falls else "**no**"),
          "- The levels are higher than the paper's at every point; the same β2 question as in Fig. 1 (σ_max(W*) "
          "as printed vs ‖W*‖_F) moves α1/α2 in this direction, but whether it explains the whole gap is not checked here.", "",
          c.figure("phase_diagram.py", "p1_g1.h5", "p1_g1_alpha_ratio.png", "--x", "width", "--y", "init_exponent",
                   "--z", "alpha1/alpha2", "--agg", "mean", "--title", "[P1] App. G.1: α1/α2 (mean over seeds)"), ""]
    return "\n".join(L)


def p1_g2(c):
    st, pts = c.store("p1_g2.h5", "p1-g2")
    if st is None:
        return "## [P1] App. G.2 — store missing\n"
    L = ["## [P1] App. G.2: n = m = 5, X with singular values in [1.8, 2.3], N(0, 1/h) init, σ² = 0.1 (sweep `p1-g2`)", "",
         "Each (h, seed) runs twice from the same draws: the overparametrized `local` run, and the paper's reference — "
         "GD on W itself (`model = \"reference\"`), W(0) = W1(0)W2(0)ᵀ, η = 1/σ_max²(X). The paper reads off Fig. 5 "
         "the iteration where each curve reaches its floor (papers.md §3.4).", ""]
    done = pts["status"] != "pending"
    two = done & (pts["model"] == "two_layer")
    ref = done & (pts["model"] == "reference")
    ratio = pts["alpha1"] / pts["alpha2"]
    rows = []
    paper_ratio = {500: 0.60, 1000: 0.66, 3000: 0.73}
    paper_iters = {500: "≈ 49 (to −27)", 1000: "≈ 45 (to −30)", 3000: "≈ 38 (to −30)"}
    for h in sorted(paper_ratio):
        sel, rsel = two & (pts["width"] == h), ref & (pts["width"] == h)
        conv = "%d/%d" % (np.sum(pts["status"][sel] == "converged"), sel.sum())
        rows.append(["h = %d" % h, "%.2f" % paper_ratio[h], ms(ratio[sel], "%.3f"),
                     v_close(fmean(ratio[sel]), paper_ratio[h], 0.02, "%.3f"),
                     paper_iters[h], ms(pts["iterations"][sel], "%.1f"), conv,
                     "≈ 26–27 (to −30)", ms(pts["iterations"][rsel], "%.1f")])
    L += [table(["width", "paper α1/α2", "lrsweep α1/α2", "verdict (tolerance 0.02)", "paper: local, iterations",
                 "lrsweep: local, iterations to 1e-30", "converged", "paper: reference", "lrsweep: reference"], rows), "",
          "- Overparametrized vs not: the reference needs %s iterations at every h; the `local` run needs %s more at "
          "h = 500 and %s more at h = 3000 (medians) — wider is closer to the reference, as the paper says."
          % (ms(pts["iterations"][ref], "%.1f"),
             "%.1f" % (np.median(pts["iterations"][two & (pts["width"] == 500)]) - np.median(pts["iterations"][ref])),
             "%.1f" % (np.median(pts["iterations"][two & (pts["width"] == 3000)]) - np.median(pts["iterations"][ref]))),
          "- Ambiguity, both readings named: App. G.2's \"noise of variance 0.1\" is read as σ² = 0.1, the factor of "
          "ε ~ N(0, 1) in Y = XW(0) + σ²ε (lrsweep's convention, as in Fig. 1); the literal reading, noise of standard "
          "deviation √0.1 (σ² = 0.316), is not run. Only the scale of L(0) depends on it, not the iteration counts' trend.",
          "",
          c.figure("trajectories.py", "p1_g2.h5", "p1_g2_local.png", "--facet", "width",
                   "--title", "[P1] App. G.2: local (two_layer) vs the reference (GD on W)"), ""]
    return "\n".join(L)


def lora_rows(st, pts, name, gf):
    """Per (init, α) measurements of a P2 Fig. 1 store."""
    scale = 1e4 if gf else 1.0  # GF time -> GD steps of 1e-4
    xcol = "time" if gf else "step"
    out = {}
    for init in ("small", "spectral"):
        for a in (1e-5, 1e-4, 1e-3):
            sel = np.flatnonzero((pts["init"] == init) & np.isclose(pts["init_scale"], a) & (pts["status"] != "pending"))
            if sel.size == 0:
                continue
            reach = []
            for r in sel:
                tr = st.trajectory(int(r), name)
                reach.append(first_step_below(tr, 1e-25, xcol) * scale)
            out[(init, a)] = {
                "rows": sel,
                "l0": log10(pts["loss0"][sel]),
                "final": log10(pts["final_loss"][sel]),
                "plateau": pts["align_plateau"][sel],
                "align_end": pts["align_end"][sel] * scale,
                "reach25": np.array(reach),
                "delta_w": pts["delta_w"][sel],
            }
    return out


def slope(res):
    """Final-loss slope against α for small init: decades of loss per decade of α."""
    xs, ys = [], []
    for (init, a), d in res.items():
        if init == "small":
            f = d["final"][np.isfinite(d["final"])]
            xs += [np.log10(a)] * f.size
            ys += f.tolist()
    if len(set(xs)) < 2:
        return float("nan"), float("nan")
    A = np.vstack([xs, np.ones(len(xs))]).T
    coef, res_, *_ = np.linalg.lstsq(A, np.array(ys), rcond=None)
    # standard error of the slope
    n = len(xs)
    resid = np.array(ys) - A @ coef
    se = np.sqrt(np.sum(resid**2) / max(1, n - 2) / np.sum((np.array(xs) - np.mean(xs)) ** 2))
    return float(coef[0]), float(se)


def p2_fig1(c, gf=False):
    store, name = ("p2_fig1_gf.h5", "p2-fig1-gf") if gf else ("p2_fig1.h5", "p2-fig1")
    st, pts = c.store(store, name)
    if st is None:
        return "## [P2] Fig. 1%s — store missing\n" % (" (GF)" if gf else "")
    res = lora_rows(st, pts, name, gf)
    head = ("## [P2] Fig. 1 with gradient flow (sweep `p2-fig1-gf`; GF time × 1e4 = GD steps of 1e-4)" if gf else
            "## [P2] Fig. 1: LoRA, m = n = 10, h = 100, r = 4, c = 1.05, GD step 1e-4 × 50,000 (sweep `p2-fig1`)")
    L = [head, ""]
    rows = []
    paper_final = {1e-3: -12.5, 1e-4: -16.3, 1e-5: -20.2}
    paper_plat = {1e-3: -4.75, 1e-4: -6.75, 1e-5: -8.75}
    for (init, a), d in res.items():
        f = fmean(d["final"])
        if init == "small":
            rows.append(["small, α = %g" % a, "final log10 L", "≈ %.1f" % paper_final[a], ms(d["final"], "%.2f"),
                         v_close(f, paper_final[a], 0.5, "%.2f")])
            rows.append(["small, α = %g" % a, "alignment plateau log10(1 − cos)", "≈ %.2f" % paper_plat[a], ms(d["plateau"], "%.2f"),
                         v_close(fmean(d["plateau"]), paper_plat[a], 0.5, "%.2f")])
            if a == 1e-5:
                rows.append(["small, α = 1e-05", "end of alignment (steps)", "≈ 9,000", ms(d["align_end"], "%.0f"),
                             v_close(fmean(d["align_end"]), 9000, 1500, "%.0f")])
        else:
            ok = bool(np.all(d["final"][np.isfinite(d["final"])] <= -20)) and np.isfinite(d["final"]).any()
            rows.append(["spectral, α = %g" % a, "final log10 L (issue: ≤ −20 for every α)", "≈ −26", ms(d["final"], "%.2f"),
                         ("matches (every seed ≤ −20; |Δ| to −26 = %.2f)" % abs(f + 26)) if ok else "**differs**: some seed above 1e-20"])
            r = d["reach25"]
            never = int(np.sum(~np.isfinite(r)))
            rows.append(["spectral, α = %g" % a, "steps until L ≤ 1e-25", "~17k–23k (to ≈ −26)",
                         ms(r, "%.0f") + (", %d never" % never if never else ""), v_range(fmean(r), 17000, 23000, "%.0f")])
    l0 = np.concatenate([d["l0"] for d in res.values()]) if res else np.array([])
    rows.insert(0, ["all", "log10 L(0)", "≈ 1.1", ms(l0, "%.2f"), v_close(fmean(l0), 1.1, 0.3, "%.2f")])
    s, se = slope(res)
    rows.append(["small, α = 1e-5…1e-3", "final-loss slope vs α (decades per decade)",
                 "≈ 3.9 (read off; issue expects 3–5)", "%.2f ± %.2f (fit s.e.)" % (s, se),
                 v_range(s, 3, 5, "%.2f") if np.isfinite(s) else "no data"])
    L += [table(["points", "quantity", "paper", "lrsweep", "verdict"], rows), ""]
    if gf:
        _, gd = c.store("p2_fig1.h5", "p2-fig1")
        if gd is not None:
            rows = []
            stg, _ = c.store("p2_fig1.h5", "p2-fig1")
            resg = lora_rows(stg, gd, "p2-fig1", False)
            for key, d in res.items():
                if key in resg:
                    dg = resg[key]
                    rows.append(["%s, α = %g" % key, "%.2f" % fmean(d["final"]), "%.2f" % fmean(dg["final"]),
                                 "%+.2f" % (fmean(d["final"]) - fmean(dg["final"])),
                                 "%.0f / %.0f" % (fmean(d["align_end"]), fmean(dg["align_end"]))])
            L += ["### GF against GD (step 1e-4)", "",
                  table(["points", "GF final log10 L", "GD final log10 L", "GF − GD (decades)", "alignment end GF / GD (steps)"], rows),
                  "", "With small init both floors come from the saddle escape, not from the step size, so GF and GD agree "
                  "closely; with spectral init GD stops at its rounding floor while GF goes lower.", ""]
    tag = "p2_fig1_gf" if gf else "p2_fig1"
    L += [c.figure("trajectories.py", store, tag + "_trajectories.png",
                   "--title", "[P2] Fig. 1%s: loss, misalignment, ‖Z1‖_F" % (" (gradient flow)" if gf else "")),
          c.figure("phase_diagram.py", store, tag + "_final_loss.png", "--x", "init_scale", "--y", "init", "--z", "final_loss",
                   "--title", "[P2] Fig. 1%s: median final loss" % (" (GF)" if gf else "")), ""]
    return "\n".join(L)


def p2_h1(c):
    st, pts = c.store("p2_h1.h5", "p2-h1")
    if st is None:
        return "## [P2] App. H.1 — store missing\n"
    L = ["## [P2] App. H.1: balance c ∈ {1.05, 2, 10}, top and bottom pair (sweep `p2-h1`)", "",
         "The paper gives no numbers here beyond δ_w = 1/c² and \"the bottom pair is slower\"; lrsweep's measurements "
         "are listed for small init at α = 1e-5 and for spectral init at α = 1e-5.", ""]
    done = pts["status"] != "pending"
    rows = []
    ae = {}
    for cval in (1.05, 2.0, 10.0):
        for pair in ("top", "bottom"):
            base = done & np.isclose(pts["balance"], cval) & (pts["delta_pair"] == pair)
            sm = base & (pts["init"] == "small") & np.isclose(pts["init_scale"], 1e-5)
            sp = base & (pts["init"] == "spectral") & np.isclose(pts["init_scale"], 1e-5)
            dw = fmean(pts["delta_w"][base])
            ae[(cval, pair)] = fmean(pts["align_end"][sm])
            rows.append(["c = %g, %s" % (cval, pair), "%.4f" % (1 / cval**2), ms(pts["delta_w"][base], "%.4f"),
                         v_close(dw, 1 / cval**2, 1e-3 / cval**2, "%.2g"),
                         ms(pts["sigma_w2"][base], "%.2f"), ms(pts["align_end"][sm], "%.0f") +
                         (", %d never" % np.sum(~np.isfinite(pts["align_end"][sm])) if np.any(~np.isfinite(pts["align_end"][sm])) else ""),
                         ms(log10(pts["final_loss"][sm]), "%.2f"), ms(log10(pts["final_loss"][sp]), "%.2f")])
    L += [table(["point", "paper δ_w = 1/c²", "lrsweep δ_w", "verdict", "σ_W2", "alignment end (steps, small α=1e-5)",
                 "final log10 L (small α=1e-5)", "final log10 L (spectral α=1e-5)"], rows), ""]
    slower = [cv for cv in (1.05, 2.0, 10.0) if np.isfinite(ae[(cv, "bottom")]) and ae[(cv, "bottom")] > ae[(cv, "top")]]
    nfin = sum(np.isfinite(ae[(cv, "bottom")]) and np.isfinite(ae[(cv, "top")]) for cv in (1.05, 2.0, 10.0))
    L += ["- Bottom pair slower than top (longer alignment phase): %d of %d balance values — %s." %
          (len(slower), nfin, "matches the paper" if nfin and len(slower) == nfin else "**differs** from the paper"
           if nfin else "no data (bottom-pair runs never reached the alignment threshold)"), "",
          c.figure("trajectories.py", "p2_h1.h5", "p2_h1_small.png", "--where", 'init == "small" and init_scale == 1e-5',
                   "--facet", "delta_pair", "--title", "[P2] App. H.1: small init, α = 1e-5"), ""]
    return "\n".join(L)


# ------------------------------------------------------------------------------------


def main():
    p = lrsstore.ArgumentParser(
        prog="reproduce.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]), formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="fewer seeds (sweep copies in a temp dir): a few minutes on 2 cores")
    p.add_argument("--out", help="output directory (default reproduction, or reproduction/quick with --quick)")
    p.add_argument("--stores", help="directory of the stores (default OUT/stores)")
    p.add_argument("--lrsweep", default=os.environ.get("LRSWEEP") or os.path.join(REPO, "build", "lrsweep"),
                   help="lrsweep binary (default $LRSWEEP, else build/lrsweep)")
    p.add_argument("--np", type=int, default=3, help="MPI processes for each sweep (default 3: 2 workers; 1 runs without mpirun)")
    p.add_argument("--no-run", action="store_true", help="do not run lrsweep; report from existing stores")
    args = p.parse_args()
    if args.np < 1:
        p.error("--np must be ≥ 1")
    args.out = args.out or os.path.join("reproduction", "quick" if args.quick else "")
    args.out = os.path.normpath(args.out)
    stores = os.path.abspath(args.stores or os.path.join(args.out, "stores"))
    os.makedirs(args.out, exist_ok=True)
    if args.no_run:
        if not os.path.isdir(stores):
            raise StoreError("%s: no such stores directory" % stores)
    else:
        os.makedirs(stores, exist_ok=True)
        try:
            run_sweeps(args, stores)
        except RunError as e:
            print("reproduce.py: %s" % e, file=sys.stderr)
            return 1

    c = Ctx(args, stores)
    try:
        sections = [p1_fig1(c), p1_fig2(c), p1_g1(c), p1_g2(c), p2_fig1(c), p2_fig1(c, gf=True), p2_h1(c)]
        info = ""
        for st in c._open.values():
            a = st.file.attrs
            info = "lrsweep %s (git %s)" % (lrsstore._attr(a.get("lrsweep_version")), lrsstore._attr(a.get("lrsweep_git")))
            break
    finally:
        c.close()
    cmd = "analysis/reproduce.py" + (" --quick" if args.quick else "") + (" --no-run" if args.no_run else "") + \
        " --out %s" % args.out
    head = ["# Reproduction of [P1] and [P2] with lrsweep%s" % (" (quick mode)" if args.quick else ""), "",
            "Generated by `%s` — do not edit by hand; run the command again." % cmd, "",
            "- Stores: `%s` (%s)" % (args.stores or os.path.join(args.out, "stores"), info or "no store"),
            "- Mode: %s" % ("**quick** — 3 seeds per point (2 for P2 App. H.1) instead of the sweep files' 30 (10 for "
                            "P1 Fig. 2, App. G.1 and P2 App. H.1); numbers are noisier than the full run's, and wall-clock "
                            "times depend on the machine's load" if args.quick else "full — the seeds of the sweep files"),
            "- Paper numbers are those of `shared/papers.md` §1.7 and §2.4 (read off the papers' figures where marked ≈).",
            "- mean ± std are over seeds (of log10 values where a log is shown); verdicts use the tolerance in the column header.",
            ""]
    if c.missing:
        head += ["**Incomplete:** " + "; ".join(c.missing), ""]
    head += ["Known deviations, stated up front:", "",
             "1. α1/α2 uses β2 = σ_max(W*) + … as printed; the paper's numbers correspond to ‖W*‖_F (see P1 Fig. 1).",
             "2. P1 Fig. 2: `xu2023` is implemented but not yet part of this report; it compares `local` with `backtracking` only.",
             "3. Backtracking as printed (γ = 0.9, no η factor) is unsatisfiable in the paper setting (papers.md §3.2); "
             "this report runs it with its guard, which takes the best tried step, so it is *not* 10× slower here.",
             "4. The LoRA alignment phase ends at the first state with ‖Z1‖_F ≥ ¼√(2σ/σ_W2).",
             "5. P1 App. G.2's targets: \"noise of variance 0.1\" is read as σ² = 0.1 (see App. G.2).", ""]
    text = "\n".join(head) + "\n" + "\n".join(sections)
    path = os.path.join(args.out, "REPORT.md")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print("wrote %s and %d figures" % (path, len(c.figs)))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
