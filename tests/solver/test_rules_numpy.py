#!/usr/bin/python3
"""The step rules xu2023, backtracking and global (papers.md §1.5, §3.1, §3.2,
§3.3) against NumPy references written from papers.md alone, on dumped points (TAP).

- xu2023: h1..h4 of §3.1, η_t the positive root of dρ/dη, the [P1-2023] cap
  η_max' (p1, p2, α0, β0, a1..a4, the two cubics), the `exact` variant (‖∇ℓ‖
  for √(2KL_t), so h4 = μK s²‖∇ℓ‖²), on a point with ℓ* > 0 (L_t read as
  L − ℓ*, the excess loss every rate is measured on).
- backtracking: Armijo from η_bt, η ← τη, the accepted η_t is the FIRST
  η_bt·τ^k with L(θ − η∇L) ≤ L − c·η‖∇L‖² (‖∇L‖² over both layers); the
  trial count; the guard: bt_max_shrinks shrinks (bt_max_shrinks + 1 trials)
  then the tried step with the smallest loss.
- global: η_max = min(η⁽¹⁾, η⁽²⁾, [log(1 + α1/(2α2))]^{1/c}) of Table 2 / eq.
  101–102 with β2 = σ_max(W*) + … (spectral) or ‖W*‖_F + … (frobenius), and
  η_t = min((1 + η0^d)^{t/2}η0, 1/K̄_t) with the bound Π ρ̄(η_k, k)·L0.
- [P1] Fig. 2 (sweeps/p1_fig2_{xu2023,backtracking}.toml, h = 500, seed 0):
  the setting (n = m = 10, XᵀX = I, N(0, 1) init, Y − XW(0) ~ N(0, 1)) and
  the same iterations, steps and trial counts as the references.

Tolerances: the references run the same arithmetic on the dumped float64 data
in another summation order, so steps agree to ~1e-15; 1e-12 leaves room for
the roots' last bits. Losses are compared while L − ℓ* > 1e-8·(L0 − ℓ*) at 1e-9
relative: rounding of the iterates (~1e-16·‖W‖²) grows in the relative error of a
loss that has fallen by decades. Trial counts and iteration counts are exact.
A mistyped constant (a 2 for a 4 in dρ/dη, c on ‖∇L‖ instead of ‖∇L‖², a
frobenius/spectral swap) moves a step by far more than that.

usage: test_rules_numpy.py LRSWEEP REPO
"""
import math
import os
import sys
import tempfile

import numpy as np
from scipy.optimize import brentq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Scratch, Tap  # noqa: E402

LRSWEEP, REPO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tap = Tap()
check = tap.ok


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def loss(X, Y, W1, W2):
    R = Y - X @ W1 @ W2.T
    return 0.5 * float(np.sum(R * R))


def lsq(X, Y):
    """(W*, ℓ*) of ½‖Y − XW‖²."""
    Ws = np.linalg.lstsq(X, Y, rcond=None)[0]
    return Ws, 0.5 * float(np.sum((Y - X @ Ws) ** 2))


def K_mu(X):
    s = np.linalg.svd(X, compute_uv=False)
    return s[0] ** 2, s[-1] ** 2


def layer_grads(X, Y, W1, W2):
    """∇ℓ(W)·W2 and ∇ℓ(W)ᵀ·W1 with ∇ℓ(W) = Xᵀ(XW − Y) (papers.md §1.1–1.2)."""
    G = X.T @ (X @ W1 @ W2.T - Y)
    return G @ W2, G.T @ W1, G


def T_sv2(W1, W2):
    """σ²_min/max(T) = λ_min/max(W1W1ᵀ) + λ_min/max(W2W2ᵀ) (papers.md §1.4)."""
    a, b = np.linalg.eigvalsh(W1 @ W1.T), np.linalg.eigvalsh(W2 @ W2.T)
    return a[0] + b[0], a[-1] + b[-1]


def cubic_root(c3, c2, c1, c0):
    """The one positive root of c3x³ + c2x² + c1x + c0 (c3, c2, c1 ≥ 0 > c0)."""
    f = lambda x: ((c3 * x + c2) * x + c1) * x + c0  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return brentq(f, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500)


def alphas(W1, W2, b1, b2):
    """α1, α2 of Table 2 (papers.md §1.3) from D = W1ᵀW1 − W2ᵀW2."""
    n, m = W1.shape[0], W2.shape[0]
    D = W1.T @ W1 - W2.T @ W2
    ev = np.linalg.eigvalsh(D)[::-1]        # λ_1 ≥ λ_2 ≥ …
    evn = np.linalg.eigvalsh(-D)[::-1]
    lp, lm = max(ev[0], 0.0), max(evn[0], 0.0)
    ln, lmm = max(ev[n - 1], 0.0), max(evn[m - 1], 0.0)
    dl, dp, dm = ln + lmm, lp - ln, lm - lmm
    a1 = (-dp - dm + math.sqrt((dp + dl) ** 2 + 4 * b1 ** 2) + math.sqrt((dm + dl) ** 2 + 4 * b1 ** 2)) / 2
    a2 = (lp + math.sqrt(lp ** 2 + 4 * b2 ** 2)) / 2 + (lm + math.sqrt(lm ** 2 + 4 * b2 ** 2)) / 2
    return a1, a2


# ---------------------------------------------------------------- xu2023 (§3.1)
def xu_run(X, Y, W1, W2, steps, cap, exact, c1=0.5, c2=1.5):
    K, mu = K_mu(X)
    ls = lsq(X, Y)[1]
    eta_cap = math.inf
    if cap:
        E0 = Y - X @ W1 @ W2.T
        sx = math.sqrt(K)
        p1 = max(np.linalg.svd(Y, compute_uv=False)[-1] - np.linalg.norm(E0), 0.0) / sx
        p2 = (np.linalg.norm(Y) + np.linalg.norm(E0)) / math.sqrt(mu)
        a0, b0 = alphas(W1, W2, p1, p2)
        L0 = loss(X, Y, W1, W2) - ls
        r0 = math.sqrt(2 * K * L0)
        a1, a2 = 2 * c1 * a0 * mu, 2 * mu * p2 * r0 + K * mu * (c2 * b0) ** 2
        a3, a4 = 2 * mu * K * c2 * b0 * p2 * r0, 2 * mu * K ** 2 * p2 ** 2 * L0
        eta_cap = min(cubic_root(a4, a3, a2 + 4 * c2 * L0 * K / (c2 - 1), -a1),
                      cubic_root(a4, a3, a2 + 8 * c2 * b0 * L0 * K / ((1 - c1) * a0), -a1))
    losses, etas = [], []
    for t in range(steps + 1):
        L = loss(X, Y, W1, W2) - ls
        losses.append(L)
        if t == steps:
            break
        g1, g2, G = layer_grads(X, Y, W1, W2)
        smin2, smax2 = T_sv2(W1, W2)
        s = np.linalg.norm(W1 @ W2.T, 2)
        r2 = float(np.sum(G * G)) if exact else 2 * K * L
        r = math.sqrt(r2)
        h1, h2 = 2 * mu * smin2, K * mu * smax2 ** 2 + 2 * mu * s * r
        h3, h4 = 2 * mu * K * smax2 * s * r, mu * K * s ** 2 * r2    # = 2μK²s²L_t for the bound
        e = min(cubic_root(4 * h4, 3 * h3, 2 * h2, -h1), eta_cap)
        etas.append(e)
        W1, W2 = W1 - e * g1, W2 - e * g2
    return np.array(losses), np.array(etas)


# ---------------------------------------------------------- backtracking (§3.2)
def bt_run(X, Y, W1, W2, steps, eta_bt, tau, c, armijo=True, max_shrinks=1000):
    ls = lsq(X, Y)[1]
    losses, etas, trials = [], [], 0
    for t in range(steps + 1):
        L = loss(X, Y, W1, W2)
        losses.append(L - ls)
        if t == steps:
            break
        g1, g2, _ = layer_grads(X, Y, W1, W2)
        gn2 = float(np.sum(g1 * g1) + np.sum(g2 * g2))
        e, best, best_loss = eta_bt, None, L
        for _ in range(max_shrinks + 1):
            trials += 1
            Lt = loss(X, Y, W1 - e * g1, W2 - e * g2)
            if Lt <= L - c * gn2 * (e if armijo else 1.0):
                best = e
                break
            if Lt < best_loss:
                best, best_loss = e, Lt
            e *= tau
        etas.append(best)
        W1, W2 = W1 - best * g1, W2 - best * g2
    return np.array(losses), np.array(etas), trials


# ---------------------------------------------------------------- global (§1.5)
def eta_max(X, Y, W1, W2, beta2_norm, c=0.5, d=1.01):
    """Table 2 and eq. 101–102 in float64: returns (η_max, μ̄, K̄_t(·), L0, α2, β2)."""
    K, mu = K_mu(X)
    Ws, ls = lsq(X, Y)
    L0 = loss(X, Y, W1, W2) - ls
    sw = np.linalg.svd(Ws, compute_uv=False)
    dist = math.sqrt(K / mu) * np.linalg.norm(W1 @ W2.T - Ws)
    b1 = max(0.0, sw[-1] - dist)
    b2 = (sw[0] if beta2_norm == "spectral" else np.linalg.norm(Ws)) + dist
    a1, a2 = alphas(W1, W2, b1, b2)
    mubar = lambda e: mu * (a1 - 2 * a2 * math.expm1(e ** c))  # noqa: E731
    kbar0 = lambda e: (math.sqrt(2 * K * L0) + 6 * K ** 2 * b2 * L0 * e ** 2  # noqa: E731
                       + K * math.exp(e ** c) * a2 * (1 + 3 * math.sqrt(2 * K * L0) * e))

    def g_scaled(e):
        """eq. 102 divided by η^{1+c}, with 1 − Δ = (1 − ρ̄) − η^d ρ̄ (no cancellation
        or underflow down to 1e-300)."""
        omr = mubar(e) * e * (2 - kbar0(e) * e)
        return (-math.expm1(-e ** c) / e ** c * (mubar(e) * (2 - kbar0(e) * e) - e ** (d - 1) * (1 - omr))
                - 4 * K * L0 * e ** (1 - c))
    e1 = brentq(lambda e: e * kbar0(e) - 1, 0.0, 1 / kbar0(0.0), xtol=1e-300, rtol=1e-15)
    grid = np.logspace(-300, 1, 3011)
    vals = [g_scaled(e) for e in grid]
    e2 = math.inf
    for i in range(1, len(grid)):
        if (vals[i] > 0) != (vals[i - 1] > 0):
            e2 = brentq(g_scaled, grid[i - 1], grid[i], xtol=1e-300, rtol=1e-15)
            break
    e3 = math.log(1 + a1 / (2 * a2)) ** (1 / c)
    return min(e1, e2, e3), mubar, L0, a2, b2, (K, mu)


def global_run(X, Y, W1, W2, steps, beta2_norm, c=0.5, d=1.01):
    e0, mubar, L0, a2, b2, (K, mu) = eta_max(X, Y, W1, W2, beta2_norm, c, d)
    ls = lsq(X, Y)[1]
    mb = mubar(e0)
    kb = lambda rb, dl, t: (math.sqrt(2 * K * L0 * rb ** t) + 6 * K ** 2 * b2 * L0 * e0 ** 2 * dl ** t  # noqa: E731
                            + K * math.exp(e0 ** c) * a2 * (1 + 3 * math.sqrt(2 * K * L0 * dl ** t) * e0))
    k0 = kb(1.0, 1.0, 0)
    rb0 = 1 - 2 * mb * e0 + mb * k0 * e0 ** 2     # ρ̄(η0, 0)
    dl = (1 + e0 ** d) * rb0
    losses, etas, bound = [], [], [L0]
    for t in range(steps + 1):
        losses.append(loss(X, Y, W1, W2) - ls)
        if t == steps:
            break
        kt = kb(rb0, dl, t)
        e = min((1 + e0 ** d) ** (t / 2) * e0, 1 / kt)
        etas.append(e)
        bound.append(bound[-1] * (1 - 2 * mb * e + mb * kt * e ** 2))
        g1, g2, _ = layer_grads(X, Y, W1, W2)
        W1, W2 = W1 - e * g1, W2 - e * g2
    return np.array(losses), np.array(etas), np.array(bound)


def compare(what, traj, losses, etas, l0):
    """Steps to 1e-12; losses to 1e-9 while above 1e-8·l0 (see the docstring)."""
    n = len(traj["loss"])
    ok_len = n == len(losses) and len(etas) == n - 1
    keep = losses[:n] > 1e-8 * l0 if ok_len else np.zeros(0, bool)
    el = rel(traj["step_size"][:-1][keep[:-1]], etas[keep[:-1]]) if ok_len else math.inf
    ll = rel(traj["loss"][keep], losses[keep]) if ok_len else math.inf
    check(ok_len and el < 1e-12 and ll < 1e-9,
          f"{what}: {n - 1} steps, η_t to {el:.1e}, L − ℓ* to {ll:.1e} of the NumPy reference")


SMALL = """
[problem]
input_dim = 4
output_dim = 3
samples = 6
width = 20
data = "gaussian"
sigma2 = 0.3
[solver]
method = "gd"
max_iter = 30
tol = 0.0
record_every = 1
"""
SQUARE = SMALL.replace("samples = 6", "samples = 0").replace('"gaussian"', '"orthogonal"') \
              .replace("output_dim = 3", "output_dim = 4").replace("sigma2 = 0.3", "sigma2 = 1.0") \
              .replace("tol = 0.0", "tol = 0.0\ntol_rel = 1e-10").replace("max_iter = 30", "max_iter = 200")
GLOBAL = SMALL.replace("input_dim = 4", "input_dim = 5").replace("output_dim = 3", "output_dim = 4") \
              .replace("samples = 6", "samples = 8").replace("width = 20", "width = 30\ninit_scale = 0.5") \
              .replace("sigma2 = 0.3", "sigma2 = 0.1")

with tempfile.TemporaryDirectory() as tmp:
    lrs = Scratch(LRSWEEP, tmp)

    def solve(name, text):
        p = lrs.solve(name + ".toml", text)
        if p.traj is None:
            check(False, f"{name}: runs", p.result.stderr)
        return p

    # xu2023, all four variants, on data with ℓ* > 0.
    for cap in ("none", "eta_max"):
        for grad in ("bound", "exact"):
            p = solve(f"xu_{cap}_{grad}", SMALL + f'step_rule = "xu2023"\nxu2023_cap = "{cap}"\n'
                                                   f'xu2023_grad = "{grad}"\n')
            if p.traj is None:
                continue
            M = p.dump
            losses, etas = xu_run(M["X"], M["Y"], M["W1"], M["W2"], 30, cap == "eta_max", grad == "exact")
            check(lsq(M["X"], M["Y"])[1] > 0.1, "xu2023 point has ℓ* > 0 (N > n, noise)")
            compare(f"xu2023 cap={cap} grad={grad}", p.traj, losses, etas, losses[0])

    # Armijo backtracking: the first η_bt·τ^k passing the test, and the trial count.
    for eta_bt, tau, c in ((1.0, 0.9, 0.5), (1.0, 0.5, 0.1), (0.05, 0.7, 0.3)):
        p = solve("bt", SQUARE + f'step_rule = "backtracking"\nstep_size = {eta_bt}\nbt_shrink = {tau}\n'
                                 f'bt_sufficient = {c}\n')
        if p.traj is None:
            continue
        M = p.dump
        n = len(p.traj["loss"]) - 1
        losses, etas, trials = bt_run(M["X"], M["Y"], M["W1"], M["W2"], n, eta_bt, tau, c)
        compare(f"armijo η_bt={eta_bt} τ={tau} c={c}", p.traj, losses, etas, losses[0])
        check(int(p.summary["loss_evals"]) == trials and int(p.summary["ls_failures"]) == 0,
              f"armijo η_bt={eta_bt} τ={tau} c={c}: {p.summary['loss_evals']} trial losses (reference {trials})")

    # The printed test (no η) with a cap of 3 shrinks: 4 trials per search, the smallest loss taken.
    p = solve("bt_printed", SQUARE.replace("max_iter = 200", "max_iter = 12")
              + 'step_rule = "backtracking"\nstep_size = 1.0\nbt_test = "printed"\nbt_shrink = 0.1\n'
                'bt_sufficient = 0.9\nbt_max_shrinks = 3\n')
    if p.traj is not None:
        M = p.dump
        n = len(p.traj["loss"]) - 1
        losses, etas, trials = bt_run(M["X"], M["Y"], M["W1"], M["W2"], n, 1.0, 0.1, 0.9, armijo=False,
                                      max_shrinks=3)
        compare("printed test, bt_max_shrinks = 3", p.traj, losses, etas, losses[0])
        check(int(p.summary["loss_evals"]) == trials == 4 * n and int(p.summary["ls_failures"]) == n,
              f"printed test: every search is a failure with 3 shrinks = 4 trials ({p.summary['loss_evals']} "
              f"trial losses in {n} iterations, reference {trials})")

    # global, with each β2 reading driving η_max, K̄_t and ρ̄ (papers.md §3.3).
    for norm in ("spectral", "frobenius"):
        p = solve(f"glob_{norm}", GLOBAL + f'step_rule = "global"\nbeta2_norm = "{norm}"\n')
        if p.traj is None:
            continue
        M = p.dump
        losses, etas, bound = global_run(M["X"], M["Y"], M["W1"], M["W2"], 30, norm)
        compare(f"global, beta2_norm = {norm}", p.traj, losses, etas, losses[0])
        b = rel(p.traj["bound_global"], bound)
        check(b < 1e-12, f"global, beta2_norm = {norm}: Π ρ̄(η_k, k)·L0 to {b:.1e}")
        other = eta_max(M["X"], M["Y"], M["W1"], M["W2"], "frobenius" if norm == "spectral" else "spectral")[0]
        check(rel(p.traj["step_size"][0], other) > 1e-6,
              f"global, beta2_norm = {norm}: the other reading's η_max differs ({other:.6g})")

    # [P1] Fig. 2's sweeps, h = 500, seed 0 (point 0): setting and trajectories.
    for rule in ("xu2023", "backtracking"):
        sweep = os.path.join(REPO, "sweeps", f"p1_fig2_{rule}.toml")
        p = lrs.solve(sweep, point=0, dump=f"fig2_{rule}.h5")
        if p.traj is None:
            check(False, f"fig2 {rule}: runs", p.result.stderr)
            continue
        M = p.dump
        X, Y, W1, W2 = M["X"], M["Y"], M["W1"], M["W2"]
        noise = Y - X @ W1 @ W2.T
        check(X.shape == (10, 10) and Y.shape == (10, 10) and W1.shape == (10, 500) and W2.shape == (10, 500)
              and np.abs(X.T @ X - np.eye(10)).max() < 1e-13 and 0.9 < W1.std() < 1.1 and 0.9 < W2.std() < 1.1
              and 0.6 < noise.std() < 1.4,
              f"fig2 {rule}: n = m = 10, h = 500, X orthogonal, N(0, 1) init, noise std {noise.std():.2f} (σ² = 1)")
        n = len(p.traj["loss"]) - 1
        if rule == "xu2023":
            losses, etas = xu_run(X, Y, W1, W2, n, False, False)
            trials = 0
        else:
            losses, etas, trials = bt_run(X, Y, W1, W2, n, 1.0, 0.9, 0.5)
        compare(f"fig2 {rule}", p.traj, losses, etas, losses[0])
        check(p.summary["status"] == "converged" and losses[-1] <= 1e-24 < losses[-2]
              and int(p.summary["loss_evals"]) == trials,
              f"fig2 {rule}: L ≤ 1e-24 first at iteration {n} in both; {trials} trial losses")

sys.exit(tap.done())
