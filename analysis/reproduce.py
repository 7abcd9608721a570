#!/usr/bin/python3
"""Reproduce the experiments of [P1] and [P2] with lrsweep and write OUT/REPORT.md.

Runs the paper sweeps of sweeps/ with the built lrsweep (under `mpirun -np NP` when
NP > 1; resuming stores that are already complete costs nothing), or with --no-run
only reads existing stores, then writes OUT/REPORT.md and figures: per experiment, the
paper's numbers (shared/papers.md §1.7, §2.4, §3) beside lrsweep's (mean ± std over
seeds) with a verdict per row.  The paper targets are one data table (TARGETS below):
sweep, selection, column, paper value, tolerance, source, and the explanation shown
when a row differs for a known reason.

A store that holds an older version of a sweep (its file changed since), or that another
lrsweep build wrote (`lrsweep --version` against the store's lrsweep_version/lrsweep_git),
is moved aside to STORE.h5.old-N and the store's sweeps run again, so the report always
describes the sweep files and the binary as they are.  [P1] Fig. 2's three rules are run TIMING_REPEATS more times
(one process, OpenBLAS single-threaded) into OUT/stores/timing/ for the wall-clock table.

REPORT.md is stamped with a SHA-256 of its inputs (the sweep files it runs and the
analysis code it imports or calls, `stamp_inputs`), and with the git commit it was
made from; tests/analysis/test_report_stamp.py fails when the committed REPORT's
stamp is not that of the files in the tree.

--quick runs copies of the sweeps with fewer seeds (written to a temporary
directory); it finishes in a few minutes on two cores with --np 3.

Examples:
    analysis/reproduce.py --quick --out reproduction/quick
    analysis/reproduce.py --out reproduction            # the full sweeps
    analysis/reproduce.py --no-run --stores DIR --out OUT
Exit 2 with one line for bad arguments or a bad store; 1 when lrsweep fails.
"""

import ast
import collections
import datetime
import glob
import hashlib
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
    ("p1_fig1_frobenius", "p1_fig1.h5", "p1-fig1-frobenius", {"replicates": 3}),
    ("p1_fig2_local", "p1_fig2.h5", "p1-fig2-local", {"replicates": 3}),
    ("p1_fig2_xu2023", "p1_fig2.h5", "p1-fig2-xu2023", {"replicates": 3}),
    ("p1_fig2_backtracking", "p1_fig2.h5", "p1-fig2-backtracking", {"replicates": 3}),
    ("p1_fig2_printed", "p1_fig2.h5", "p1-fig2-printed", {"replicates": 3}),
    ("p1_fig2_xu2023_variants", "p1_fig2.h5", "p1-fig2-xu2023-variants", {"replicates": 3}),
    ("p1_g1_alpha_ratio", "p1_g1.h5", "p1-g1", {"replicates": 3}),
    ("p1_g1_unit_data", "p1_g1.h5", "p1-g1-unit-data", {"replicates": 3}),
    ("p1_g2", "p1_g2.h5", "p1-g2", {"replicates": 3}),
    ("p2_fig1", "p2_fig1.h5", "p2-fig1", {"replicates": 3}),
    ("p2_fig1_gf", "p2_fig1_gf.h5", "p2-fig1-gf", {"replicates": 3}),
    ("p2_h1", "p2_h1.h5", "p2-h1", {"replicates": 2}),
    ("p2_classifier", "p2_classifier.h5", "p2-classifier", {"replicates": 3}),
    ("p1_sensing", "p1_sensing.h5", "p1-sensing", {"replicates": 2}),
]
# Data files some sweeps read (data_file, relative to the sweep file), made by a script of the
# checkout from data Debian ships when missing: {sweep name: (relative path, command)}.
DATA_FILES = {"p2-classifier": ("data/digits.h5", ["scripts/make_digits.py"])}
STORE_OF = {name: store for _, store, name, _ in SWEEPS}

# [P1] Fig. 2's rules, timed again TIMING_REPEATS times (full / quick) for the wall-clock table.
FIG2_RULES = (("local", "p1-fig2-local", 'beta2_norm == "spectral"'),
              ("xu2023", "p1-fig2-xu2023", ""),
              ("backtracking", "p1-fig2-backtracking", ""))


def fig2_at(where, h):
    """A FIG2_RULES row's selection at width h (the --where language)."""
    return ("%s and " % where if where else "") + "width == %d" % h


TIMING_REPEATS = {False: 5, True: 3}

# Analysis scripts run as programs to draw figures (their imports count as inputs too).
FIGURE_SCRIPTS = ("trajectories.py", "phase_diagram.py", "rates.py")


class RunError(Exception):
    pass


# ------------------------------------------------------------------------------------
# the paper targets: one table, one row builder (target_row)

Target = collections.namedtuple("Target", "section sweep where label quantity column paper tol source note agg")
Target.__new__.__defaults__ = (None, "mean")
# section: which table; sweep: sweep name; where: selection in lrsstore's expression
# language (and only computed points); column: a store column, an expression over
# columns, or a derived column (DERIVED); paper: a number, or a range (lo, hi) whose
# ends may be ±inf; tol: "0.01" absolute, "15%" relative to the paper value, "" for a
# range (inside it); note: key of NOTES, the explanation shown when the row differs
# (a known deviation or paper ambiguity); agg: mean (of the points) or max.

TITLES = {500: (0.5549, 0.5545, 0.5509), 1000: (0.6749, 0.6746, 0.6725), 4000: (0.8291, 0.8291, 0.8286)}
FIG1_ITERS = {500: (23, 28), 1000: (19, 22), 4000: (14, 16)}
SIGMA2 = (0.01, 0.1, 1.0)
G1 = {0.275: (0.34, 0.57), 0.375: (0.14, 0.22), 0.475: (0.045, 0.055)}
INF = float("inf")


def _targets():
    T = []
    # [P1] Fig. 1 (papers.md §1.7, §3.3)
    for h, vals in TITLES.items():
        for s2, pv in zip(SIGMA2, vals):
            sel = 'step_rule == "local" and width == %d and sigma2 == %g' % (h, s2)
            lab = "h = %d, σ² = %g" % (h, s2)
            T.append(Target("fig1-alpha", "p1-fig1", sel, lab, "α1/α2, β2 with ‖W*‖_F", "alpha1/alpha2_fro", pv, "0.01",
                            "§1.7 (title), §3.3"))
            T.append(Target("fig1-alpha", "p1-fig1", sel, lab, "α1/α2, β2 with σ_max(W*) (printed)", "alpha1/alpha2", pv,
                            "0.01", "§1.7 (title), §3.3", "beta2-printed"))
    for s2, pv in zip(SIGMA2, (-2.5, -0.5, 1.5)):
        T.append(Target("fig1-l0", "p1-fig1", 'step_rule == "local" and sigma2 == %g' % s2, "σ² = %g" % s2,
                        "log10 L(0)", "log10(loss0)", pv, "0.3", "§1.7 (read off Fig. 1)"))
    for h, rng in FIG1_ITERS.items():
        for s2 in SIGMA2:
            lab = "h = %d, σ² = %g" % (h, s2)
            for sweep, reading in (("p1-fig1", "σ_max(W*) (printed)"), ("p1-fig1-frobenius", "‖W*‖_F")):
                T.append(Target("fig1-iters", sweep, 'step_rule == "local" and width == %d and sigma2 == %g' % (h, s2),
                                lab, "`local`, β2 with %s: iterations to 1e-24" % reading, "reach_24", rng, "",
                                "§1.7 (read off Fig. 1)", "fig1-iters"))
    # [P1] Fig. 2 (papers.md §3.1, §3.2, §3.4; issue 17's counts)
    fig2 = {500: (38, (57, 62), 19, "57–62"), 1000: (27, (39, 42), 14, "39–42"), 4000: (16, 21, 11, "≈ 21")}
    for h, (loc, xu, bt, _) in fig2.items():
        lab = "h = %d" % h
        for b2, reading, note in (("spectral", "σ_max(W*) (printed)", "fig2-local-printed"), ("frobenius", "‖W*‖_F", None)):
            T.append(Target("fig2", "p1-fig2-local", 'width == %d and beta2_norm == "%s"' % (h, b2), lab,
                            "`local`, β2 with %s: iterations to 1e-24" % reading, "iterations", loc, "10%",
                            "§3.4 (Fig. 2 read off)", note))
        T.append(Target("fig2", "p1-fig2-xu2023", "width == %d" % h, lab, "`xu2023`: iterations to 1e-24", "iterations",
                        xu, "" if isinstance(xu, tuple) else "20%", "issue 17; §3.1, §3.4", "xu2023-%d" % h))
        T.append(Target("fig2", "p1-fig2-backtracking", "width == %d" % h, lab,
                        "backtracking (Armijo, η_bt = 1, τ = 0.9, c = 0.5): iterations to 1e-24", "iterations", bt, "20%",
                        "issue 17; §3.2"))
        T.append(Target("fig2", "p1-fig2-backtracking", "width == %d" % h, lab, "backtracking: trial losses per iteration",
                        "loss_evals/iterations", (67, 86), "", "§3.2", "bt-trials"))
    # [P1] App. G.1 (papers.md §1.7, §3.3)
    for p, (a, b) in G1.items():
        for h, pv in ((500, a), (2000, b)):
            sel = "width == %d and init_exponent == %g" % (h, p)
            lab = "p = %g, h = %d" % (p, h)
            for sweep, data in (("p1-g1", "data as printed (Θ, noise N(0, 0.1))"), ("p1-g1-unit-data", "Θ, noise N(0, 1)")):
                for col, reading in (("alpha1/alpha2", "σ_max(W*) (printed)"), ("alpha1/alpha2_fro", "‖W*‖_F")):
                    note = "g1-printed-data" if sweep == "p1-g1" else ("g1-unit-fro" if "fro" in col else None)
                    T.append(Target("g1", sweep, sel, lab, "α1/α2, β2 with %s, %s" % (reading, data), col, pv, "15%",
                                    "§1.7 (read off Fig. 4), §3.3", note))
    # [P1] App. G.2 (papers.md §1.7, §3.4)
    for h, pv in ((500, 0.60), (1000, 0.66), (3000, 0.73)):
        sel = 'model == "two_layer" and width == %d' % h
        T.append(Target("g2", "p1-g2", sel, "h = %d" % h, "α1/α2, β2 with ‖W*‖_F", "alpha1/alpha2_fro", pv, "0.02",
                        "§1.7 (Fig. 5 titles)", "g2-fro"))
        T.append(Target("g2", "p1-g2", sel, "h = %d" % h, "α1/α2, β2 with σ_max(W*) (printed)", "alpha1/alpha2", pv,
                        "0.02", "§1.7 (Fig. 5 titles)", "g2-printed"))
    # [P2] Fig. 1, GD and GF (papers.md §2.4); GF time × 1e4 = GD steps of 1e-4
    for sec, sweep, xs in (("p2", "p2-fig1", ""), ("p2-gf", "p2-fig1-gf", " * 10000")):
        T.append(Target(sec, sweep, "", "all", "log10 L(0)", "log10(loss0)", 1.1, "0.3", "§2.4"))
        for a, fin, plat in ((1e-5, -20.2, -8.75), (1e-4, -16.3, -6.75), (1e-3, -12.5, -4.75)):
            sel = 'init == "small" and init_scale == %g' % a
            lab = "small, α = %g" % a
            T.append(Target(sec, sweep, sel, lab, "final log10 L", "log10(final_loss)", fin, "0.5", "§2.4"))
            T.append(Target(sec, sweep, sel, lab, "alignment plateau log10(1 − cos)", "align_plateau", plat, "0.5", "§2.4"))
            if a == 1e-5:
                T.append(Target(sec, sweep, sel, lab, "end of alignment (steps)", "align_end" + xs, 9000, "1500", "§2.4"))
        for a in (1e-5, 1e-4, 1e-3):
            sel = 'init == "spectral" and init_scale == %g' % a
            lab = "spectral, α = %g" % a
            if sec == "p2":
                T.append(Target(sec, sweep, sel, lab, "final log10 L (GD's rounding floor)", "log10(final_loss)", -26, "0.5",
                                "§2.4"))
            T.append(Target(sec, sweep, sel, lab, "final log10 L, worst seed (issue: ≤ −20 for every α)",
                            "log10(final_loss)", (-INF, -20), "", "§2.4", None, "max"))
            T.append(Target(sec, sweep, sel, lab, "steps until L ≤ 1e-25", "reach_25" + xs, (17000, 23000), "", "§2.4",
                            "p2-reach"))
        T.append(Target(sec, sweep, 'init == "small"', "small, α = 1e-5…1e-3",
                        "final-loss slope vs α (decades per decade; read off ≈ 3.9)", slope_final_vs_alpha, (3, 5), "",
                        "§2.4 (issue expects 3–5)"))
    # [P2] App. H.1 (papers.md §2.4)
    for c in (1.05, 2.0, 10.0):
        for pair in ("top", "bottom"):
            T.append(Target("h1", "p2-h1", 'balance == %g and delta_pair == "%s"' % (c, pair), "c = %g, %s" % (c, pair),
                            "δ_w = 1/c²", "delta_w", 1 / c**2, "0.1%", "§2.4 (App. H.1)"))
    return T


# Explanations of rows known to differ (each paper ambiguity names both readings).
NOTES = {
    "beta2-printed": "The printed formula's value: β2 = σ_max(W*) + √(K/μ)‖W(0) − W*‖ ([P1] Table 2, App. E, F.1). "
    "The titles were computed with ‖W*‖_F in its place (papers.md §3.3; the row above, within 0.01 at every point): "
    "‖W*‖_F ≥ σ_max(W*) makes α2 larger and α1/α2 smaller, by 0.04 / 0.03 / 0.01 at h = 500 / 1000 / 4000.",
    "fig1-iters": "Fig. 1's ranges are read off for all σ² at once (papers.md §1.7), while L(0) grows two decades per "
    "decade of σ² (the table above), which at 0.7–1.6 decades per iteration adds ≈ 1.5 (h = 4000) to 3–4 (h = 500) "
    "iterations per decade of σ² (the rows above). "
    "The paper's own Fig. 2 runs the same rule in the same setting at σ² = 1 and needs ≈ 38 / 27 / 16 iterations "
    "(papers.md §3.4), outside Fig. 1's ranges for h = 500 and 1000 as well; lrsweep's σ² = 1 rows are close to "
    "those counts (the ‖W*‖_F reading matches them: Fig. 2 section). Which β2 drives η_max matters: in this setting η_t of `local` stays within 2% of η0 = η_max "
    "(1/K_t does not bind, and (1 + η0^d)^{t/2} grows by < 2% in 50 steps), so the ‖W*‖_F reading, whose η_max is 7% / 4% / 1.3% "
    "smaller, takes about that many more iterations, which moves the σ² = 0.01 rows up by 0.5–3 iterations.",
    "fig2-local-printed": "With the printed β2 η_max is 7% / 4% / 1.3% larger than with ‖W*‖_F, and `local` keeps "
    "η_t within 2% of η_max here, so it is that much faster than the figure's green curve; the ‖W*‖_F reading (next row) "
    "matches — Fig. 2 was run with the reading that reproduces Fig. 1's titles.",
    "xu2023-500": "",
    "xu2023-1000": "The 30-seed mean is 0.5 below the range: seeds give 32–43 iterations (std ≈ 2.5, standard error "
    "≈ 0.45), the figure's red curve reads ≈ 36 (papers.md §3.4), below the range too. Not the gradient-norm "
    "variant: with X orthogonal ‖∇ℓ(W)‖ = ‖XW − Y‖ = √(2KL) exactly, and `xu2023_grad = \"exact\"` is the same run "
    "(table of variants below); not the cap: capped at [P1-2023]'s η_max' it takes ≈ 125. lrsweep counts the "
    "steps taken (L(k) ≤ 1e-24 at k = iterations); counting loss values from L(0) gives one more, 39.5.",
    "xu2023-4000": "",
    "bt-trials": "papers.md §3.2 gives one range for h = 500…4000 from an independent simulation with other seeds; "
    "lrsweep's h = 500 and h = 4000 means are the range's two ends to within 1%.",
    "g1-printed-data": "Known discrepancy (papers.md §3.3): with Θ and the noise ~ N(0, 0.1) as printed, neither β2 "
    "reading reproduces Fig. 4 (24–197% above). With Θ and the noise ~ N(0, 1) and the printed σ_max(W*) — the rows "
    "of sweep `p1-g1-unit-data` — every point is within 2%: App. G.1 was computed with unit-variance data and the "
    "printed β2 (unlike Fig. 1, whose titles need ‖W*‖_F).",
    "g1-unit-fro": "With unit-variance data the ‖W*‖_F reading is 8–19% below the figure; the printed σ_max(W*) "
    "(row above) matches: App. G.1 used the printed β2.",
    "g2-fro": "",
    "g2-printed": "The printed formula's value (as in Fig. 1); App. G.2's titles are two decimals read off Fig. 5 and "
    "one reading of β2 among the two (the ‖W*‖_F row above).",
    "p2-reach": "The paper gives one range, \"~17k–23k\", for all three α (papers.md §2.4: spectral init reaches ≈ −26 "
    "for every α by then); lrsweep's per-α means fall with α (larger α starts closer to the solution), spanning "
    "≈ 16k–20k, and the seeds of the lowest spread ±1.4k around it.",
}

TARGETS = None  # built on first use (slope_final_vs_alpha is defined below)


def targets():
    global TARGETS
    if TARGETS is None:
        TARGETS = _targets()
    return TARGETS


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


def _env():
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    # the matrices are small: OpenBLAS threads only contend with the workers (and with the clock)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def _run_one(args, src, store, cwd, np_=None):
    """Run one sweep file into store; returns (returncode, stderr)."""
    np_ = args.np if np_ is None else np_
    cmd = [os.path.abspath(args.lrsweep), src, "--store", store, "--quiet"]
    if np_ > 1:
        mpirun = shutil.which("mpirun")
        if mpirun is None:
            raise StoreError("--np %d needs mpirun on PATH (or use --np 1)" % np_)
        cmd = [mpirun, "--oversubscribe", "-np", str(np_)] + cmd
    print("reproduce.py: running %s" % " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd, env=_env(), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
                       "command again to resume" % os.path.basename(src))
    return proc.returncode, (err.strip().splitlines() or out.strip().splitlines() or ["(no output)"])


def _move_aside(path, why="holds an older version of a sweep"):
    k = 1
    while os.path.exists("%s.old-%d" % (path, k)):
        k += 1
    os.rename(path, "%s.old-%d" % (path, k))
    print("reproduce.py: %s %s: moved to %s.old-%d" % (path, why, path, k), file=sys.stderr, flush=True)


def _build_id(lrs):
    """'VERSION (git HASH)' of the lrsweep binary, or None."""
    try:
        r = subprocess.run([os.path.abspath(lrs), "--version"], capture_output=True, text=True, timeout=60, env=_env())
    except OSError:
        return None
    m = re.search(r"lrsweep (\S+) \(git (\S+)\)", r.stdout)
    return "%s (git %s)" % m.groups() if m else None


def _move_if_other_build(path, build):
    """A store written by another lrsweep build would be resumed, not recomputed: move it aside."""
    if build is None or not os.path.exists(path):
        return
    try:
        with lrsstore.Store(path) as st:
            a = st.file.attrs
            made = "%s (git %s)" % (lrsstore._attr(a.get("lrsweep_version")), lrsstore._attr(a.get("lrsweep_git")))
    except StoreError:
        return  # lrsweep itself says what is wrong with it
    if made != build:
        _move_aside(path, "was written by lrsweep %s, not by this %s" % (made, build))


def make_data_files(files):
    """The DATA_FILES of the sweeps in `files` ({sweep name: sweep file path}) that are missing."""
    for name, (rel, script) in DATA_FILES.items():
        if name not in files:
            continue
        data = os.path.join(os.path.dirname(files[name]), rel)
        if os.path.exists(data):
            continue
        os.makedirs(os.path.dirname(data), exist_ok=True)
        cmd = ["/usr/bin/python3", os.path.join(REPO, *script[0].split("/"))] + script[1:] + ["-o", data]
        print("reproduce.py: making %s" % data, file=sys.stderr, flush=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RunError("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode,
                                                        (r.stderr.strip().splitlines() or ["?"])[-1]))


def run_sweeps(args, stores):
    lrs = args.lrsweep
    if not os.path.isfile(lrs) or not os.access(lrs, os.X_OK):
        raise StoreError("lrsweep binary %s not found or not executable (build it: meson setup build && ninja -C build; "
                         "or give --lrsweep / LRSWEEP)" % lrs)
    build = _build_id(lrs)
    tmp = tempfile.mkdtemp(prefix="lrs-reproduce-")
    try:
        files = {}
        for stem, store, name, edits in SWEEPS:
            src = os.path.join(REPO, "sweeps", stem + ".toml")
            if not os.path.isfile(src):
                raise StoreError("%s: sweep file missing" % src)
            if args.quick:
                dst = os.path.join(tmp, stem + ".toml")
                quick_copy(src, dst, edits)
                src = dst
            files[name] = src
        make_data_files(files)
        for store in dict.fromkeys(s for _, s, _, _ in SWEEPS):
            names = [n for _, s, n, _ in SWEEPS if s == store]
            path = os.path.join(stores, store)
            _move_if_other_build(path, build)
            for attempt in (1, 2):
                stale = False
                for name in names:
                    t0 = datetime.datetime.now()
                    rc, lines = _run_one(args, files[name], path, stores)
                    if rc == 2 and attempt == 1 and any("is stored with another grid" in x for x in lines):
                        stale = True
                        break
                    if rc != 0:
                        raise RunError("lrsweep failed on %s (exit %d): %s" % (name, rc, lines[-1]))
                    print("reproduce.py:   %s done in %.1f s" % (name, (datetime.datetime.now() - t0).total_seconds()),
                          file=sys.stderr, flush=True)
                if not stale:
                    break
                _move_aside(path)
        # [P1] Fig. 2's wall-clock: the three rules again, one process each (no worker shares a core)
        tdir = os.path.join(stores, "timing")
        os.makedirs(tdir, exist_ok=True)
        for k in range(1, TIMING_REPEATS[args.quick] + 1):
            path = os.path.join(tdir, "p1_fig2_t%d.h5" % k)
            _move_if_other_build(path, build)
            for _, name, _ in FIG2_RULES:
                rc, lines = _run_one(args, files[name], path, tdir, np_=1)
                if rc == 2 and any("is stored with another grid" in x for x in lines):
                    _move_aside(path)
                    rc, lines = _run_one(args, files[name], path, tdir, np_=1)
                if rc != 0:
                    raise RunError("lrsweep failed on %s (timing run %d, exit %d): %s" % (name, k, rc, lines[-1]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------
# the stamp: which files the report was made from


def _local_imports(path, root):
    """Absolute names of the modules `path` imports (any depth), with `from P import m` as P.m
    too (m may be a module) and relative imports resolved against path's package under
    analysis/ or python/ of root."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    package = []
    for base in (os.path.join(root, "analysis"), os.path.join(root, "python")):
        rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), base)
        if not rel.startswith(os.pardir):
            package = [] if rel == os.curdir else rel.split(os.sep)
            break
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = node.module or ""
            else:
                up = package[:len(package) - (node.level - 1)] if node.level - 1 <= len(package) else []
                module = ".".join(up + ([node.module] if node.module else []))
            if module:
                out.add(module)
            out.update(".".join(filter(None, [module, a.name])) for a in node.names)
    return out


def _module_file(name, root):
    """The repository file of a module name, if it is one of ours (analysis/ or python/)."""
    parts = name.split(".")
    for base in (os.path.join(root, "analysis"), os.path.join(root, "python")):
        for cand in (os.path.join(base, *parts) + ".py", os.path.join(base, *parts, "__init__.py")):
            if os.path.isfile(cand):
                return cand
    return None


def stamp_inputs(root=REPO):
    """Repository-relative paths of the files the report's numbers and figures come from,
    besides the lrsweep binary: the sweep files of SWEEPS, this script, the figure scripts
    it runs, and every module of ours that these import (followed transitively)."""
    files = {os.path.join(root, "sweeps", stem + ".toml") for stem, _, _, _ in SWEEPS}
    todo = [os.path.join(root, "analysis", "reproduce.py")] + [os.path.join(root, "analysis", s) for s in FIGURE_SCRIPTS]
    seen = set()
    while todo:
        f = todo.pop()
        if f in seen or not os.path.isfile(f):
            continue
        seen.add(f)
        for name in sorted(_local_imports(f, root)):
            parts = name.split(".")
            for k in range(len(parts), 0, -1):  # a package's __init__ and the module itself
                m = _module_file(".".join(parts[:k]), root)
                if m:
                    todo.append(m)
    files |= seen
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in files if os.path.isfile(f))


def file_digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def stamp_digest(root=REPO, paths=None):
    """SHA-256 over (path, SHA-256 of content) of every input, in path order."""
    paths = stamp_inputs(root) if paths is None else paths
    h = hashlib.sha256()
    for p in paths:
        h.update(("%s\0%s\n" % (p, file_digest(os.path.join(root, p)))).encode())
    return h.hexdigest()


STAMP_RE = re.compile(r"<!-- report-stamp inputs-sha256=([0-9a-f]{64})\n(.*?)\n-->", re.S)


def stamp_block(root=REPO):
    """The HTML comment that ends REPORT.md: the digest and one line per input."""
    paths = stamp_inputs(root)
    lines = ["%s %s" % (file_digest(os.path.join(root, p))[:16], p) for p in paths]
    return "<!-- report-stamp inputs-sha256=%s\n%s\n-->\n" % (stamp_digest(root, paths), "\n".join(lines))


def read_stamp(text):
    """(digest, {path: short hash}) of a REPORT's stamp, or None."""
    m = STAMP_RE.search(text)
    if not m:
        return None
    files = dict(reversed(line.split(" ", 1)) for line in m.group(2).splitlines() if " " in line)
    return m.group(1), files


def stale_inputs(text, root=REPO):
    """Why a REPORT's stamp does not describe the tree at root: [] when it does."""
    st = read_stamp(text)
    if st is None:
        return ["no report-stamp block (made by an older reproduce.py)"]
    digest, old = st
    if digest == stamp_digest(root):
        return []
    now = {p: file_digest(os.path.join(root, p))[:16] for p in stamp_inputs(root)}
    why = ["%s changed" % p for p in sorted(now) if p in old and old[p] != now[p]]
    why += ["%s is new" % p for p in sorted(now) if p not in old]
    why += ["%s is gone" % p for p in sorted(old) if p not in now]
    return why or ["the inputs digest differs"]


def git_commit(root=REPO):
    """HEAD and whether any input differs from it (None without git)."""
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                              timeout=30)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--"] + stamp_inputs(root),
                               capture_output=True, text=True, timeout=30)
        return head.stdout.strip(), bool(dirty.stdout.strip())
    except OSError:
        return None


# ------------------------------------------------------------------------------------
# statistics and table helpers


def ms(v, fmt="%.3f"):
    """'mean ± std (n=N)' of the finite values; fmt None: 4 significant digits (std 2)."""
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "—"
    if fmt is None:
        if v.size == 1:
            return _num(v[0]) + " (n=1)"
        return "%s ± %s (n=%d)" % (_num(v.mean()), _num(v.std(ddof=1), 2), v.size)
    if v.size == 1:
        return (fmt % v[0]) + " (n=1)"
    return "%s ± %s (n=%d)" % (fmt % v.mean(), fmt.replace("+", "") % v.std(ddof=1), v.size)


def fmean(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


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


def _num(v, digits=4):
    """Shortest readable form: integers from 1000 up without exponent, else `digits` significant."""
    if v in (INF, -INF):
        return "∞" if v > 0 else "−∞"
    if abs(v) >= 1000 or (digits < 4 and abs(v) >= 100):
        t = "%.0f" % v
    else:
        t = "%.*g" % (digits, v)
    return t.replace("-", "−")


def paper_text(paper, tol):
    if isinstance(paper, tuple):
        lo, hi = paper
        if lo == -INF:
            return "≤ %s" % _num(hi)
        if hi == INF:
            return "≥ %s" % _num(lo)
        return "%s–%s" % (_num(lo), _num(hi))
    return ("≈ %s" % _num(paper)) + (" ± %s" % tol if tol else "")


def verdict(value, paper, tol):
    """(matches?, text, excess beyond the tolerance) of one measured value against a paper value or range."""
    if not np.isfinite(value):
        return None, "no data", float("nan")
    if isinstance(paper, tuple):
        lo, hi = paper
        if lo <= value <= hi:
            return True, "matches (inside %s)" % paper_text(paper, ""), 0.0
        d = value - hi if value > hi else value - lo
        return False, "%s%s outside %s" % ("+" if d > 0 else "−", _num(abs(d)), paper_text(paper, "")), abs(d)
    lim = abs(paper) * float(tol[:-1]) / 100 if tol.endswith("%") else float(tol)
    d = value - paper
    if abs(d) <= lim:
        return True, "matches (|Δ| = %s ≤ %s)" % (_num(abs(d)), _num(lim)), 0.0
    return (False, "%s%s (%+.0f%%) beyond ± %s" % ("+" if d > 0 else "−", _num(abs(d)), 100 * d / abs(paper), _num(lim)),
            abs(d) - lim)


def slope_final_vs_alpha(pts, mask):
    """Final-loss slope against α (decades of loss per decade of α) with its standard error."""
    x = np.log10(pts["init_scale"][mask])
    y = log10(pts["final_loss"][mask])
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if np.unique(x).size < 2:
        return float("nan"), "—"
    A = np.vstack([x, np.ones(x.size)]).T
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    resid = y - A @ coef
    se = np.sqrt(np.sum(resid**2) / max(1, x.size - 2) / np.sum((x - x.mean()) ** 2))
    return float(coef[0]), "%.2f ± %.2f (fit s.e., n=%d)" % (coef[0], se, x.size)


# Per-point columns read from the trajectories (computed for a sweep when a target or a
# table names them): first recorded x (step, or GF time) with L ≤ 1e-24 / 1e-25, and
# log10(Πρ·L0) − log10 L at the first.
DERIVED = ("reach_24", "reach_25", "bound_gap_24")


class Ctx:
    def __init__(self, args, stores):
        self.args = args
        self.stores = stores
        self.out = args.out
        self.figs = []
        self.missing = []
        self._open = {}
        self._derived = set()

    def store(self, name, store=None):
        """(Store, points dict) of sweep `name`, or (None, None) when missing."""
        path = os.path.join(self.stores, store or STORE_OF[name])
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
        if (path, name) not in self._derived and "traj_offset" in pts:
            self._derived.add((path, name))
            self._add_derived(st, name, pts)
        return st, st.points(name)

    def _add_derived(self, st, name, pts):
        n = len(pts["index"])
        cols = {c: np.full(n, np.nan) for c in DERIVED}
        for r in range(n):
            if pts["status"][r] == "pending" or pts["traj_count"][r] <= 0:
                continue
            tr = st.trajectory(r, name)
            x = "time" if pts["method"][r] == "gf" else "step"
            cols["reach_24"][r] = first_step_below(tr, 1e-24, x)
            cols["reach_25"][r] = first_step_below(tr, 1e-25, x)
            if np.isfinite(cols["reach_24"][r]) and "bound_local" in tr:
                k = int(np.flatnonzero(tr[x] == cols["reach_24"][r])[0])
                cols["bound_gap_24"][r] = float(log10(tr["bound_local"][k]) - log10(tr["loss"][k]))
        cached = st._points_cache[name]  # the store's cached table: later points() calls see them
        cached.update(cols)
        kinds = getattr(cached, "kinds", None)
        if kinds is not None:  # the --where language's column kinds (lrsweep.expr)
            from lrsweep import expr  # noqa: E402

            kinds.update({c: expr.Column("number") for c in DERIVED})

    def mask(self, pts, where):
        done = pts["status"] != "pending"
        return done & lrsstore.where_mask(pts, where) if where else done

    def figure(self, script, store, fname, *opts):
        """Draw a figure with one of the analysis scripts; returns a Markdown image link."""
        path = os.path.join(self.out, fname)
        cmd = [sys.executable, os.path.join(HERE, script), os.path.join(self.stores, store), "-o", path] + list(opts)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return "*(figure %s failed: %s)*" % (fname, (r.stderr.strip().splitlines() or ["?"])[-1])
        return self.drawn(fname)

    def drawn(self, fname):
        """Counts figure OUT/fname as drawn; its Markdown image link."""
        self.figs.append(fname)
        return "![%s](%s)" % (fname, fname)

    def close(self):
        for st in self._open.values():
            st.close()


def target_row(c, t, notes):
    """One row of a targets table: [point, quantity, paper, lrsweep, verdict, source]."""
    _, pts = c.store(t.sweep)
    if pts is None:
        return [t.label, t.quantity, paper_text(t.paper, t.tol), "—", "no data (store missing)", t.source]
    m = c.mask(pts, t.where)
    se = float("nan")
    if callable(t.column):
        value, shown = t.column(pts, m)
    else:
        v = lrsstore.value(pts, t.column)[m]
        fin = v[np.isfinite(v)]
        value = (float(fin.max()) if t.agg == "max" else float(fin.mean())) if fin.size else float("nan")
        never = int(v.size - fin.size)
        shown = ms(v, None) + (", %d never" % never if never else "")
        if t.agg == "max" and fin.size:
            shown += ", worst %s" % _num(value)
        elif fin.size > 1:
            se = float(fin.std(ddof=1) / np.sqrt(fin.size))
    ok, text, excess = verdict(value, t.paper, t.tol)
    if ok is False:
        why = NOTES.get(t.note or "")
        if c.args.quick and excess <= 2 * se:
            text = "differs by less than 2 standard errors of the quick mode's few seeds: " + text
        elif why:
            if why not in notes:
                notes.append(why)
            text = "differs, explained [%d]: %s" % (notes.index(why) + 1, text)
        else:
            text = "**differs**: " + text
    return [t.label, t.quantity, paper_text(t.paper, t.tol), shown, text, t.source]


def targets_table(c, section):
    notes = []
    rows = [target_row(c, t, notes) for t in targets() if t.section == section]
    out = [table(["point", "quantity", "paper", "lrsweep", "verdict", "source (papers.md)"], rows), ""]
    out += ["[%d] %s" % (k + 1, n) + "\n" for k, n in enumerate(notes)]
    return "\n".join(out)


# ------------------------------------------------------------------------------------
# experiments


def p1_fig1(c):
    st, pts = c.store("p1-fig1")
    if st is None:
        return "## [P1] Fig. 1 — store missing\n"
    L = ["## [P1] Fig. 1: GD on n = m = 10, X orthogonal, N(0,1) init (sweeps `p1-fig1`, `p1-fig1-frobenius`)", "",
         "### α1/α2 at initialization (Fig. 1 panel titles), both readings of β2", "",
         "The store holds both: `alpha2` with σ_max(W*) as printed, `alpha2_fro` with ‖W*‖_F (papers.md §3.3).", "",
         targets_table(c, "fig1-alpha"),
         "### log10 L(0)", "", targets_table(c, "fig1-l0"),
         "### `local` rule: iterations until L ≤ 1e-24, both readings of β2", "",
         "First iteration whose recorded loss is ≤ 1e-24 (read from the trajectories). Sweep `p1-fig1` runs "
         "η_max from the printed β2, `p1-fig1-frobenius` from ‖W*‖_F (same seeds).", "",
         targets_table(c, "fig1-iters")]
    loc = c.mask(pts, 'step_rule == "local"')
    gaps = pts["bound_gap_24"][loc]
    L += ["- The Πρ bound at the iteration that reaches 1e-24 lies %s decades above the loss (the paper: \"within a few "
          "decades\")." % ms(gaps, "%.1f"), ""]
    import rates  # noqa: E402

    fr = rates.fractions(pts, c.mask(pts, 'method == "gd"') & np.isfinite(pts["rate"]))
    L += ["### Measured rate against the theory", ""]
    for col, (n, k) in fr.items():
        L.append("- %s: %d of %d points (%.0f%%) decay at least as fast as the bound." % (col, k, n, 100.0 * k / n if n else float("nan")))
    L += ["",
          c.figure("trajectories.py", "p1_fig1.h5", "p1_fig1_local_vs_global.png", "--sweep", "p1-fig1",
                   "--linestyle", "step_rule", "--facet", "width",
                   "--title", "[P1] Fig. 1: local (solid) vs global (dashed) rule, and their difference"),
          c.figure("phase_diagram.py", "p1_fig1.h5", "p1_fig1_alpha_ratio.png", "--sweep", "p1-fig1", "--x", "width",
                   "--y", "sigma2", "--z", "alpha1/alpha2_fro", "--where", 'step_rule == "local"', "--agg", "mean",
                   "--title", r"[P1] Fig. 1: $\alpha_1/\alpha_2$ with $\Vert W^*\Vert_F$ in $\beta_2$ (mean over seeds)"),
          c.figure("rates.py", "p1_fig1.h5", "p1_fig1_rates.png", "--sweep", "p1-fig1", "--color", "width"), ""]
    return "\n".join(L)


def fig2_figure(c, fname):
    """log10 L against iteration and against wall-clock (each point's time spread evenly over its
    iterations) for the three rules, one panel per width: median over seeds."""
    from lrsweep.plots import plotutil  # noqa: E402

    plt = plotutil.pyplot()
    widths = (500, 1000, 4000)
    fig, axs = plt.subplots(2, 3, figsize=(13, 7.5), squeeze=False)
    colors = {"local": "tab:green", "xu2023": "tab:red", "backtracking": "tab:blue"}
    best = {k: np.min(np.vstack(v), axis=0) for k, v in timing_runs(c)[1].items() if len({a.size for a in v}) == 1}
    for rule, name, where in FIG2_RULES:
        st, pts = c.store(name)
        if st is None:
            continue
        for j, h in enumerate(widths):
            rows = np.flatnonzero(c.mask(pts, fig2_at(where, h)))
            rows = rows[np.argsort(pts["seed"][rows])]
            curves = []
            for r in rows:
                tr = st.trajectory(int(r), name)
                curves.append((tr["step"].astype(float), log10(tr["loss"]), 1e3 * pts["wall_seconds"][r] /
                               max(1, pts["iterations"][r])))
            if not curves:
                continue
            n = max(x.size for x, _, _ in curves)
            Y = np.full((len(curves), n), np.nan)
            for k, (x, y, _) in enumerate(curves):
                Y[k, : y.size] = y
            with np.errstate(all="ignore"):
                med = np.nanmedian(Y, axis=0)
            med[np.sum(np.isfinite(Y), axis=0) < len(curves) / 2] = np.nan  # only while half the seeds still run
            steps = np.arange(n)
            per_it = float(np.median([t for _, _, t in curves]))
            if (rule, h) in best and best[(rule, h)].size == rows.size:  # the timing runs' estimate (per seed best of R), not this store's single run
                per_it = float(np.median(best[(rule, h)] / np.maximum(1, pts["iterations"][rows])))
            lab = "%s (%d seeds)" % (rule, len(curves))
            axs[0][j].plot(steps, med, color=colors[rule], label=lab)
            axs[1][j].plot(steps * per_it, med, color=colors[rule], label=lab)
    for j, h in enumerate(widths):
        axs[0][j].set_title("h = %d, σ² = 1" % h)
        axs[0][j].set_xlabel("iteration t")
        axs[1][j].set_xlabel("≈ wall-clock (ms, C): t × median time per iteration")
        for i in (0, 1):
            axs[i][j].set_ylabel(r"$\log_{10}(L - \ell^*)$ (median over seeds)")  # records hold L − ℓ*
            axs[i][j].axhline(-24, color="0.6", lw=0.8, ls=":", label=r"stop: $L - \ell^* \leq 10^{-24}$")
            axs[i][j].grid(alpha=0.3)
            axs[i][j].legend(fontsize=8)
    fig.suptitle(r"[P1] Fig. 2: local vs xu2023 vs backtracking (Armijo, $\eta_{bt} = 1$, $\tau = 0.9$, $c = 0.5$)")
    fig.tight_layout()
    plotutil.savefig(fig, os.path.join(c.out, fname), dpi=110)
    return c.drawn(fname)


def timing_runs(c):
    """(runs, {(rule, h): [per-run arrays of ms, seeds in order]}) of stores/timing/*.h5."""
    runs = sorted(glob.glob(os.path.join(c.stores, "timing", "p1_fig2_t*.h5")))
    t = {}
    for path in runs:
        with lrsstore.Store(path) as st:
            for rule, name, where in FIG2_RULES:
                if name not in st.sweeps:
                    continue
                p = st.points(name)
                for h in (500, 1000, 4000):
                    m = (p["status"] == "converged") & lrsstore.where_mask(p, fig2_at(where, h))
                    order = np.argsort(p["seed"][m])
                    t.setdefault((rule, h), []).append(1e3 * p["wall_seconds"][m][order])
    return runs, t


def timing_table(c):
    """Wall-clock of the timing runs (stores/timing/*.h5, one process each)."""
    runs, t = timing_runs(c)
    if not runs:
        return ["(no timing runs in %s)" % os.path.join(c.stores, "timing"), ""], None
    R = len(runs)
    rows, lines = [], []
    for h in (500, 1000, 4000):
        A = {r: np.vstack(t[(r, h)]) for r, _, _ in FIG2_RULES
             if t.get((r, h)) and len({a.size for a in t[(r, h)]}) == 1}
        if len(A) < 3:
            continue
        best = {r: float(np.median(A[r].min(axis=0))) for r in A}  # median over seeds of each seed's best of R
        for r in A:
            runs_med = np.median(A[r], axis=1)
            rows.append(["h = %d" % h, r, "%.2f" % best[r], "%.2f" % float(np.median(A[r])),
                         "%.2f–%.2f" % (runs_med.min(), runs_med.max()), "%.1f×" % (best[r] / best["local"])])
        # the verdict of each single run (its medians over seeds), to show whether it flips between runs
        slowest = [bool(np.median(A["backtracking"][k]) > max(np.median(A["local"][k]), np.median(A["xu2023"][k])))
                   for k in range(R)]
        xu = [float(np.median(A["xu2023"][k]) / np.median(A["local"][k])) for k in range(R)]
        lines.append("- h = %d: backtracking %.1f× and `xu2023` %.2f× the time of `local` (best of %d); backtracking "
                     "the slowest in %d of %d single runs; `xu2023`/`local` in single runs %.2f–%.2f." %
                     (h, best["backtracking"] / best["local"], best["xu2023"] / best["local"], R, sum(slowest), R,
                      min(xu), max(xu)))
    return ([table(["width", "rule", "wall ms to 1e-24 (median of per-seed best)", "median of all timings",
                    "median of each run", "vs local (best)"], rows), ""], (R, lines))


def p1_fig2(c):
    L = ["## [P1] Fig. 2: `local` vs `xu2023` vs backtracking to L ≤ 1e-24, σ² = 1 (sweeps `p1-fig2-local`, "
         "`p1-fig2-xu2023`, `p1-fig2-backtracking`)", "",
         "The three rules in the Fig. 1 setting from the same seeds (30 per width): `local` (η0 = η_max, both β2 "
         "readings), `xu2023` ([P1-2023]'s rule as the figure ran it: uncapped, r_t = √(2KL_t); papers.md §3.1) and "
         "backtracking as the Armijo search that fits the figure (η_bt = 1, `bt_shrink = 0.9`, `bt_sufficient = 0.5`, "
         "`bt_test = \"armijo\"`; papers.md §3.2). Runs stop at L ≤ 1e-24, so `iterations` are those to the floor.", "",
         targets_table(c, "fig2")]
    # evaluations: the ordering claim
    rows, ok_all = [], True
    for h in (500, 1000, 4000):
        ev = {}
        for rule, name, where in FIG2_RULES:
            _, pts = c.store(name)
            if pts is None:
                continue
            m = c.mask(pts, fig2_at(where, h))
            order = np.argsort(pts["seed"][m])
            ev[rule] = {k: pts[k][m][order].astype(float) for k in ("rhs_evals", "loss_evals", "ls_failures")}
        if len(ev) < 3:
            continue
        tot = {r: ev[r]["rhs_evals"] + ev[r]["loss_evals"] for r in ev}
        same = len({v.size for v in tot.values()}) == 1
        ok = same and bool(np.all(tot["local"] < tot["xu2023"]) and np.all(tot["xu2023"] < tot["backtracking"]))
        ok_all &= ok
        for rule in ("local", "xu2023", "backtracking"):
            rows.append(["h = %d" % h, rule, "%.1f" % np.median(ev[rule]["rhs_evals"]), "%.1f" % np.median(ev[rule]["loss_evals"]),
                         "%.1f" % np.median(tot[rule]), "%d" % ev[rule]["ls_failures"].sum(),
                         ("local < xu2023 < backtracking on %s" % ("every seed" if ok else "**not every seed**"))
                         if rule == "local" else ""])
    L += ["### Evaluations to 1e-24 (medians over seeds)", "",
          table(["width", "rule", "gradient evaluations", "trial-loss evaluations", "loss + gradient", "line-search failures",
                 "ordering (issue 17: local < xu2023 < backtracking)"], rows), "",
          "- Ordering in loss + gradient evaluations, per seed at every width: %s." %
          ("matches" if ok_all and rows else "**differs**"), ""]
    # wall-clock
    tab, stab = timing_table(c)
    L += ["### Wall-clock time to 1e-24", ""]
    if stab is not None:
        R, lines = stab
        L += ["Each of the three sweeps run %d more times, one process at a time (no MPI workers sharing the 2 cores), "
              "OpenBLAS single-threaded. The estimate is per seed the best of its %d timings of `wall_seconds` (the "
              "run least disturbed by other load on a shared machine), then the median over the 30 seeds; the "
              "median of all %d × 30 timings and each run's median show the spread that load adds." % (R, R, R), ""] + tab
        L += lines + ["",
                      "- Against the paper (papers.md §3.4, its Python: `local` ≈ 9–10 ms, `xu2023` 66–149 ms, "
                      "backtracking 171–337 ms, i.e. `local` ~10× sooner than both), a known deviation, not a defect: "
                      "lrsweep's C `xu2023` iteration costs what a `local` one does (one gradient and the root of a "
                      "small polynomial), so their time ratio follows the iteration counts, and at h = 4000 a per-point "
                      "set-up that grows with h (≈ 1.3 ms more than at h = 500, for every rule) makes `local` and "
                      "`xu2023` equal within noise; backtracking's 70–90 trial losses per iteration make it the slowest "
                      "in C as in the paper (by 1.5–4× here against ~20–30× there). The machine-independent comparison is the evaluation table above.", ""]
    else:
        L += tab
    # the printed test and the xu2023 variants: measured, no paper numbers
    _, pr = c.store("p1-fig2-printed")
    _, va = c.store("p1-fig2-xu2023-variants")
    rows = []
    if pr is not None:
        for h in (500, 1000, 4000):
            m = c.mask(pr, "width == %d" % h)
            rows.append(["h = %d" % h, "%d / %d" % (pr["ls_failures"][m].sum(), pr["iterations"][m].sum()),
                         ms(pr["iterations"][m], "%.1f"), "%d/%d" % (np.sum(pr["status"][m] == "converged"), m.sum()),
                         "%.0f" % np.median(pr["loss_evals"][m])])
        L += ["### Backtracking as printed (App. G.2.1: τ = 0.1, γ = 0.9, no η; sweep `p1-fig2-printed`)", "",
              "A known paper ambiguity, both readings named: the printed test L(W − η∇L) ≤ L − γ‖∇L‖² has no η and "
              "cannot be met here (‖∇L‖² ≥ 2μσ²_min(T)L with σ²_min(T) ≈ 750–7400, papers.md §3.2); the Armijo reading "
              "L(W − η∇L) ≤ L − c·η‖∇L‖² is the one above. Run as printed, every search ends at its guard (17 "
              "shrinks) and takes the tried step with the smallest loss — a greedy line search, not the figure's "
              "blue curve.", "",
              table(["width", "searches ending at the guard / iterations", "iterations to 1e-24", "converged",
                     "trial losses (median)"], rows), ""]
    if va is not None:
        rows = []
        for grad in ("bound", "exact"):
            for cap in ("none", "eta_max"):
                m = c.mask(va, 'xu2023_grad == "%s" and xu2023_cap == "%s"' % (grad, cap))
                rows.append([grad, cap] + [ms(va["iterations"][m & (va["width"] == h)], "%.1f") for h in (500, 1000, 4000)])
        L += ["### `xu2023` variants (sweep `p1-fig2-xu2023-variants`)", "",
              table(["r_t (`xu2023_grad`)", "cap (`xu2023_cap`)", "iterations, h = 500", "h = 1000", "h = 4000"], rows), "",
              "- `exact` is the same run as `bound` here (X orthogonal: ‖∇ℓ(W)‖ = √(2KL) exactly); the cap at "
              "[P1-2023]'s η_max' binds at every step and makes the rule ≈ 3× slower than the figure's red curve, "
              "which the uncapped default reproduces (papers.md §3.1).", ""]
    L += [fig2_figure(c, "p1_fig2_rules.png"), ""]
    return "\n".join(L)


def p1_g1(c):
    st, pts = c.store("p1-g1")
    if st is None:
        return "## [P1] App. G.1 — store missing\n"
    L = ["## [P1] App. G.1: α1/α2 against width for N(0, h^−2p) init (sweeps `p1-g1`, `p1-g1-unit-data`, theory only)",
         "", "Two readings of β2 (σ_max(W*) as printed, ‖W*‖_F) and two of the data (Θ and the noise ~ N(0, 0.1) as "
         "printed; ~ N(0, 1)).", "", targets_table(c, "g1")]
    ratio = pts["alpha1"] / pts["alpha2"]
    hs = np.unique(pts["width"])
    mean_at = {(p, h): fmean(ratio[(pts["width"] == h) & np.isclose(pts["init_exponent"], p)]) for p in G1 for h in hs}
    grows = all(mean_at[(p, hs.max())] > mean_at[(p, hs.min())] for p in G1)
    ps = sorted(G1)
    falls = all(mean_at[(ps[i], h)] > mean_at[(ps[i + 1], h)] for i in range(len(ps) - 1) for h in hs)
    L += ["- Trend (the paper's qualitative claim), data as printed: α1/α2 grows with h for every p — %s; falls with p "
          "at every h — %s." % ("matches" if grows else "**differs**", "matches" if falls else "**differs**"), "",
          c.figure("phase_diagram.py", "p1_g1.h5", "p1_g1_alpha_ratio.png", "--sweep", "p1-g1-unit-data", "--x", "width",
                   "--y", "init_exponent", "--z", "alpha1/alpha2", "--agg", "mean",
                   "--title", r"[P1] App. G.1: $\alpha_1/\alpha_2$ (printed $\beta_2$, $\Theta$ and noise $N(0, 1)$; mean over seeds)"), ""]
    return "\n".join(L)


def p1_g2(c):
    st, pts = c.store("p1-g2")
    if st is None:
        return "## [P1] App. G.2 — store missing\n"
    L = ["## [P1] App. G.2: n = m = 5, X with singular values in [1.8, 2.3], N(0, 1/h) init, σ² = 0.1 (sweep `p1-g2`)", "",
         "Each (h, seed) runs twice from the same draws: the overparametrized `local` run, and the paper's reference — "
         "GD on W itself (`model = \"reference\"`), W(0) = W1(0)W2(0)ᵀ, η = 1/σ_max²(X). The paper reads off Fig. 5 "
         "the iteration where each curve reaches its floor (papers.md §3.4).", "",
         targets_table(c, "g2")]
    done = pts["status"] != "pending"
    two = done & (pts["model"] == "two_layer")
    ref = done & (pts["model"] == "reference")
    rows = []
    paper_iters = {500: "≈ 49 (to −27)", 1000: "≈ 45 (to −30)", 3000: "≈ 38 (to −30)"}
    for h in sorted(paper_iters):
        sel, rsel = two & (pts["width"] == h), ref & (pts["width"] == h)
        conv = "%d/%d" % (np.sum(pts["status"][sel] == "converged"), sel.sum())
        rows.append(["h = %d" % h, paper_iters[h], ms(pts["iterations"][sel], "%.1f"), conv,
                     "≈ 26–27 (to −30)", ms(pts["iterations"][rsel], "%.1f")])
    L += [table(["width", "paper: local, iterations", "lrsweep: local, iterations to 1e-30", "converged",
                 "paper: reference", "lrsweep: reference"], rows), "",
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


def p2_fig1(c, gf=False):
    store, name = ("p2_fig1_gf.h5", "p2-fig1-gf") if gf else ("p2_fig1.h5", "p2-fig1")
    st, pts = c.store(name)
    if st is None:
        return "## [P2] Fig. 1%s — store missing\n" % (" (GF)" if gf else "")
    head = ("## [P2] Fig. 1 with gradient flow (sweep `p2-fig1-gf`; GF time × 1e4 = GD steps of 1e-4)" if gf else
            "## [P2] Fig. 1: LoRA, m = n = 10, h = 100, r = 4, c = 1.05, GD step 1e-4 × 50,000 (sweep `p2-fig1`)")
    L = [head, "", targets_table(c, "p2-gf" if gf else "p2")]
    if gf:
        _, gd = c.store("p2-fig1")
        if gd is not None:
            rows = []
            for init in ("small", "spectral"):
                for a in (1e-5, 1e-4, 1e-3):
                    w = 'init == "%s" and init_scale == %g' % (init, a)
                    m, mg = c.mask(pts, w), c.mask(gd, w)
                    f, fg = fmean(log10(pts["final_loss"][m])), fmean(log10(gd["final_loss"][mg]))
                    rows.append(["%s, α = %g" % (init, a), "%.2f" % f, "%.2f" % fg, "%+.2f" % (f - fg),
                                 "%.0f / %.0f" % (fmean(1e4 * pts["align_end"][m]), fmean(gd["align_end"][mg]))])
            L += ["### GF against GD (step 1e-4)", "",
                  table(["points", "GF final log10 L", "GD final log10 L", "GF − GD (decades)",
                         "alignment end GF / GD (steps)"], rows),
                  "", "With small init both floors come from the saddle escape, not from the step size, so GF and GD "
                  "agree closely; with spectral init GD stops at its rounding floor (≈ −26, the paper's) while GF goes "
                  "lower.", ""]
    tag = "p2_fig1_gf" if gf else "p2_fig1"
    L += [c.figure("trajectories.py", store, tag + "_trajectories.png",
                   "--title", r"[P2] Fig. 1%s: loss, misalignment, $\Vert Z_1\Vert_F$" % (" (gradient flow)" if gf else "")),
          c.figure("phase_diagram.py", store, tag + "_final_loss.png", "--x", "init_scale", "--y", "init", "--z", "final_loss",
                   "--title", "[P2] Fig. 1%s: median final loss" % (" (GF)" if gf else "")), ""]
    return "\n".join(L)


def p2_h1(c):
    st, pts = c.store("p2-h1")
    if st is None:
        return "## [P2] App. H.1 — store missing\n"
    L = ["## [P2] App. H.1: balance c ∈ {1.05, 2, 10}, top and bottom pair (sweep `p2-h1`)", "",
         "The paper gives no numbers here beyond δ_w = 1/c² and \"the bottom pair is slower\"; lrsweep's measurements "
         "are listed for small init at α = 1e-5 and for spectral init at α = 1e-5.", "",
         targets_table(c, "h1")]
    done = pts["status"] != "pending"
    rows = []
    ae = {}
    for cval in (1.05, 2.0, 10.0):
        for pair in ("top", "bottom"):
            base = done & np.isclose(pts["balance"], cval) & (pts["delta_pair"] == pair)
            sm = base & (pts["init"] == "small") & np.isclose(pts["init_scale"], 1e-5)
            sp = base & (pts["init"] == "spectral") & np.isclose(pts["init_scale"], 1e-5)
            ae[(cval, pair)] = fmean(pts["align_end"][sm])
            never = int(np.sum(~np.isfinite(pts["align_end"][sm])))
            rows.append(["c = %g, %s" % (cval, pair), ms(pts["sigma_w2"][base], "%.2f"),
                         ms(pts["align_end"][sm], "%.0f") + (", %d never" % never if never else ""),
                         ms(log10(pts["final_loss"][sm]), "%.2f"), ms(log10(pts["final_loss"][sp]), "%.2f")])
    L += [table(["point", "σ_W2", "alignment end (steps, small α=1e-5)", "final log10 L (small α=1e-5)",
                 "final log10 L (spectral α=1e-5)"], rows), ""]
    slower = [cv for cv in (1.05, 2.0, 10.0) if np.isfinite(ae[(cv, "bottom")]) and ae[(cv, "bottom")] > ae[(cv, "top")]]
    nfin = sum(np.isfinite(ae[(cv, "bottom")]) and np.isfinite(ae[(cv, "top")]) for cv in (1.05, 2.0, 10.0))
    L += ["- Bottom pair slower than top (longer alignment phase): %d of %d balance values — %s." %
          (len(slower), nfin, "matches the paper" if nfin and len(slower) == nfin else "**differs** from the paper"
           if nfin else "no data (bottom-pair runs never reached the alignment threshold)"), "",
          c.figure("trajectories.py", "p2_h1.h5", "p2_h1_small.png", "--where", 'init == "small" and init_scale == 1e-5',
                   "--facet", "delta_pair", "--title", "[P2] App. H.1: small init, α = 1e-5"), ""]
    return "\n".join(L)


def p1_sensing(c):
    st, pts = c.store("p1-sensing")
    if st is None:
        return "## [P1] beyond the squared loss: matrix sensing — store missing\n"
    done = np.flatnonzero(pts["status"] != "pending")
    rows = []
    for h in sorted(set(int(w) for w in pts["width"][done])):
        sel = [i for i in done if int(pts["width"][i]) == h]
        under = 0
        for i in sel:  # every record under Π ρ(η_k, k)·L0 (a relative rounding allowance)
            tr = st.trajectory(int(i), "p1-sensing")
            under += bool(np.all(tr["loss"] <= tr["bound_local"] * (1 + 1e-9)))
        rate, rb, ra = (np.asarray(pts[k])[sel] for k in ("rate", "rho_bar0", "asymptotic_rate"))
        rows.append(["h = %d" % h, "%d/%d" % (np.sum(pts["status"][sel] == "converged"), len(sel)),
                     ms(rate, "%.3f"), "%d/%d" % (np.sum(rate <= rb), len(sel)),
                     "%d/%d" % (np.sum(rate <= ra), len(sel)), "%d/%d" % (under, len(sel))])
    every = all(r[3].split("/")[0] == r[3].split("/")[1] and r[5].split("/")[0] == r[5].split("/")[1]
                for r in rows)
    L = ["## [P1] beyond the squared loss: matrix sensing, `local` rule (sweep `p1-sensing`)", "",
         "[P1]'s theory for a general K-smooth, μ-strongly convex ℓ (papers.md §4): 64 Gaussian sensing matrices "
         "of 4 × 4, σ² = 0.1, N(0, 1) init, three widths. The paper runs no such experiment; the check is its "
         "theorem: every measured rate at most ρ̄(η0, 0), every record under Π ρ(η_k, k)·L0.", "",
         table(["width", "converged", "measured rate", "rate ≤ ρ̄(η0, 0)", "rate ≤ asymptotic 1 − (μ/K)α1/α2",
                "records under Π ρ·L0"], rows), "",
         "- Verdict: %s." % ("every measured rate and every record is under [P1]'s bound" if every else
                             "**differs**: a measured rate or a record above [P1]'s bound"), ""]
    return "\n".join(L)


def p2_classifier_section(c):
    st, pts = c.store("p2-classifier")
    if st is None:
        return "## [P2] §5.2 / Fig. 2 on Debian's digits — store missing\n"
    import p2_classifier  # noqa: E402

    res = p2_classifier.rows(os.path.join(c.stores, STORE_OF["p2-classifier"]), "p2-classifier")
    L = ["## [P2] §5.2 / Fig. 2: LoRA on a pre-trained classifier head, init scale std (sweep `p2-classifier`)", "",
         "LoRA W0ᵀ + BA (B = 0, A ~ N(0, std²), rank 4) on a softmax head pre-trained on a source split of "
         "scikit-learn's digits (`scripts/make_digits.py`), trained by Adam on a shifted target task (labels 1 ↔ 7 "
         "and 3 ↔ 8 swapped). The paper's values are read off its Fig. 2 for a pre-trained network's last layer "
         "on other data, so only the qualitative finding is judged: smaller init → lower final train loss "
         "(medians over seeds of the last record's plain cross-entropy, the reading the paper reports; the "
         "verdict asks Spearman ρ(std, median) ≥ 0.8 and the smallest std's median below the largest's).", "",
         res["text"],
         "- Verdict: %s." % ("matches the paper's finding" if res["finding"] else "**differs** from the paper's "
                             "finding"), "",
         c.figure("p2_classifier.py", STORE_OF["p2-classifier"], "p2_classifier.png", "--sweep", "p2-classifier"),
         ""]
    return "\n".join(L)


# ------------------------------------------------------------------------------------


def main():
    p = lrsstore.ArgumentParser(prog="reproduce.py", doc=__doc__)
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
    stamp = stamp_block()  # of the inputs as this run read them
    digest = stamp_digest()
    git = git_commit()
    t0 = datetime.datetime.now()
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
    t_run = (datetime.datetime.now() - t0).total_seconds()

    c = Ctx(args, stores)
    try:
        sections = [p1_fig1(c), p1_fig2(c), p1_g1(c), p1_g2(c), p1_sensing(c), p2_fig1(c), p2_fig1(c, gf=True),
                    p2_h1(c), p2_classifier_section(c)]
        info = ""
        for st in c._open.values():
            a = st.file.attrs
            info = "lrsweep %s (git %s)" % (lrsstore._attr(a.get("lrsweep_version")), lrsstore._attr(a.get("lrsweep_git")))
            break
    finally:
        c.close()
    cmd = "analysis/reproduce.py" + (" --quick" if args.quick else "") + (" --no-run" if args.no_run else "") + \
        " --out %s" % args.out
    made = ("commit %s%s" % (git[0], " with uncommitted changes to its inputs" if git[1] else "")) if git else "no git"
    head = ["# Reproduction of [P1] and [P2] with lrsweep%s" % (" (quick mode)" if args.quick else ""), "",
            "Generated by `%s` — do not edit by hand; run the command again." % cmd, "",
            "- Made from: %s; inputs SHA-256 `%s…` (the sweep files and analysis code listed in the stamp at the end; "
            "tests/analysis/test_report_stamp.py fails when they change and this file is not regenerated)."
            % (made, digest[:16]),
            "- Stores: `%s` (%s)%s" % (args.stores or os.path.join(args.out, "stores"), info or "no store",
                                       "" if args.no_run else "; sweeps run in %.0f s" % t_run),
            "- Mode: %s" % ("**quick** — 3 seeds per point (2 for P2 App. H.1) instead of the sweep files' 30 (10 for "
                            "P1 App. G.1, P2 App. H.1 and the printed backtracking test); numbers are noisier than the "
                            "full run's (a difference of less than 2 standard errors of the seeds' mean beyond the tolerance is called "
                            "so), and wall-clock times depend on the machine's load" if args.quick else
                            "full — the seeds of the sweep files"),
            "- Paper numbers are those of `shared/papers.md` §1.7, §2.4 and §3 (read off the papers' figures where "
            "marked ≈), and issue 17's counts from an independent simulation where named.",
            "- mean ± std are over seeds (of log10 values where a log is shown). Verdicts: *matches* within the "
            "tolerance shown; *differs, explained [n]* for a known deviation or paper ambiguity, with the note under "
            "its table; an unexplained difference would read *differs* in bold.",
            ""]
    if c.missing:
        head += ["**Incomplete:** " + "; ".join(c.missing), ""]
    head += ["Known deviations and paper ambiguities, stated up front (both readings are run):", "",
             "1. β2 ([P1] Table 2): printed σ_max(W*) + √(K/μ)‖W(0) − W*‖; Fig. 1's titles and Fig. 2's `local` curve "
             "match ‖W*‖_F in its place, App. G.1 matches the printed σ_max(W*) with unit-variance data. The store "
             "has both (`alpha2`, `alpha2_fro`; `beta2_norm` chooses which drives η_max).",
             "2. P1 Fig. 2's wall-clock: the paper's Python `local` is ~10× faster than `xu2023` and backtracking; in "
             "lrsweep's C an `xu2023` iteration costs what a `local` one does, so the comparison that carries over is "
             "in evaluations (local < xu2023 < backtracking), which holds.",
             "3. Backtracking as printed (App. G.2.1: γ = 0.9, no η factor) is unsatisfiable in the paper setting "
             "(papers.md §3.2); the Armijo search with η_bt = 1, τ = 0.9, c = 0.5 fits the figure and is what Fig. 2 "
             "runs; the printed test is run too, with its guard.",
             "4. P1 App. G.1's data: \"N(0, 0.1)\" for Θ and the noise as printed gives neither β2 reading; N(0, 1) "
             "with the printed β2 matches (sweep `p1-g1-unit-data`).",
             "5. P1 App. G.2's targets: \"noise of variance 0.1\" is read as σ² = 0.1 (see App. G.2).",
             "6. The LoRA alignment phase ends at the first state with ‖Z1‖_F ≥ ¼√(2σ/σ_W2).", ""]
    if stamp_block() != stamp:
        print("reproduce.py: warning: sweep files or analysis code changed during the run; the REPORT is stamped "
              "with the inputs as the run started: run it again", file=sys.stderr)
    text = "\n".join(head) + "\n" + "\n".join(sections) + "\n" + stamp
    path = os.path.join(args.out, "REPORT.md")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print("wrote %s and %d figures" % (path, len(c.figs)))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
