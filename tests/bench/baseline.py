#!/usr/bin/python3
"""Plain NumPy/SciPy baselines of what lrsweep simulates (papers.md §1–§2).

This is what a researcher without lrsweep would write: one vectorized NumPy loop per
run and a Python ``for`` over the grid.  It serves two purposes:

* the side-by-side benchmark of lrsweep (same algorithms, same stopping rules), and
* an independent reference implementation to cross-check the C numerics.

Orientation: two-layer weights are stored as in [P1], W1 ∈ R^{n×h}, W2 ∈ R^{m×h},
W = W1 W2ᵀ ∈ R^{n×m}; LoRA factors as in [P2], W2 ∈ R^{m×h}, W1 ∈ R^{h×n}.
Only the squared loss ℓ(W) = ½‖Y − XW‖² is implemented (the paper's experiments).

Equation numbers refer to /work/shared/papers.md, which restates [P1] and [P2].

CLI (prints one JSON object)::

    python3 tests/bench/baseline.py gd --h 500 --rule local --iters 50 --seed 0
    python3 tests/bench/baseline.py lora-gf --t-end 5 --rtol 1e-10 --atol 1e-12
    python3 tests/bench/baseline.py lora-gf --dump P.h5 --t-end 5   # lrsweep's point P
    python3 tests/bench/baseline.py lora-gd --steps 50000 --eta 1e-4
    python3 tests/bench/baseline.py sweep --points 200
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time

import numpy as np
from scipy import integrate, optimize

# Relative loss levels of the summary's iters_to (lrsweep/result.h).
LEVELS = (1e-3, 1e-6, 1e-10)
# Streams of a point's randomness (lrsweep/point.h): scales multiply the draws, so
# points that differ only in σ², init scale, balance or σ share standard-normal draws.
STREAM_DATA, STREAM_INIT, STREAM_NOISE = 0, 1, 2


def _streams(seed):
    """Three independent generators (data, init, noise) derived from one seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]


def haar_orthogonal(rng, rows, cols=None):
    """Random orthogonal matrix (Haar), QR of a Gaussian with the sign fix.

    Returns the first ``cols`` columns (all ``rows`` when None).  The fix multiplies
    each column of Q by sign(R_ii) so that the distribution is exactly Haar.
    """
    cols = rows if cols is None else cols
    q, r = np.linalg.qr(rng.standard_normal((rows, rows)))
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q[:, :cols]


# ----------------------------------------------------------------------------------
# Two-layer linear networks [P1]
# ----------------------------------------------------------------------------------


@dataclasses.dataclass
class TwoLayerProblem:
    """Data, targets and initial weights of one two-layer point (papers.md §1.1).

    ``loss_star`` is min ℓ; it is 0 for square invertible X (the paper's setting) and
    the least-squares residual otherwise, in which case losses are reported as
    ℓ − ℓ* = ½‖X(W − W*)‖² (exact for the squared loss, no cancellation).
    """

    X: np.ndarray
    Y: np.ndarray
    W1: np.ndarray  # n×h initial
    W2: np.ndarray  # m×h initial
    mu: float  # σ_min²(X)
    K: float  # σ_max²(X)
    W_star: np.ndarray  # least-squares minimizer of ℓ
    loss_star: float

    @property
    def dims(self):
        return self.W1.shape[0], self.W2.shape[0], self.W1.shape[1]


def two_layer_problem(n, m, h, sigma2, seed, init_scale=1.0, *, data="orthogonal",
                      target="teacher", samples=0, init_exponent=None,
                      planted_std=0.31622776601683794, target_rank=1,
                      sv_min=1.8, sv_max=2.3):
    """The [P1] §1.7 setting and its variants (lrsweep/point.h data/target kinds).

    Default: X a Haar orthogonal n×n matrix (K = μ = 1), W1 (n×h), W2 (m×h) i.i.d.
    N(0, init_scale²), Y = X W1 W2ᵀ + σ² ε with ε i.i.d. N(0, 1) ("teacher").
    ``init_exponent`` p replaces the std by h^{-p} (App. G.1).  Other data kinds:
    "gaussian" (N×n i.i.d. N(0,1)), "spectrum" (U diag(s) Vᵀ, s ~ U[sv_min, sv_max]),
    "identity"; targets "planted" (Y = XΘ + σ²ε, Θ ~ N(0, planted_std²)) and
    "low_rank" (Y = X U Vᵀ + σ²ε of rank target_rank).
    """
    rng_data, rng_init, rng_noise = _streams(seed)
    N = samples if samples else n
    if data == "orthogonal":
        X = haar_orthogonal(rng_data, n)
    elif data == "identity":
        X = np.eye(n)
    elif data == "gaussian":
        X = rng_data.standard_normal((N, n))
    elif data == "spectrum":
        k = min(N, n)
        U = haar_orthogonal(rng_data, N, k)
        V = haar_orthogonal(rng_data, n, k)
        X = (U * rng_data.uniform(sv_min, sv_max, k)) @ V.T
    else:
        raise ValueError(f"unknown data kind {data!r}")
    if X.shape[0] != N:
        raise ValueError(f"data {data!r} needs samples = 0 or n")
    std = init_scale if init_exponent is None else float(h) ** (-init_exponent)
    W1 = std * rng_init.standard_normal((n, h))
    W2 = std * rng_init.standard_normal((m, h))
    if target == "teacher":
        theta = W1 @ W2.T
    elif target == "planted":
        theta = planted_std * rng_data.standard_normal((n, m))
    elif target == "low_rank":
        theta = (rng_data.standard_normal((n, target_rank))
                 @ rng_data.standard_normal((target_rank, m)))
    else:
        raise ValueError(f"unknown target kind {target!r}")
    Y = X @ theta + sigma2 * rng_noise.standard_normal((N, m))
    sv = np.linalg.svd(X, compute_uv=False)
    W_star = np.linalg.lstsq(X, Y, rcond=None)[0]
    loss_star = 0.0 if N <= n else 0.5 * float(np.sum((Y - X @ W_star) ** 2))
    return TwoLayerProblem(X=X, Y=Y, W1=W1, W2=W2, mu=float(sv[-1] ** 2) if N >= n else 0.0,
                           K=float(sv[0] ** 2), W_star=W_star, loss_star=loss_star)


def two_layer_loss(p, W):
    """ℓ(W) − ℓ* of §1.1 (½‖Y − XW‖², or ½‖X(W − W*)‖² when ℓ* > 0)."""
    if p.loss_star > 0.0:
        return 0.5 * float(np.sum((p.X @ (W - p.W_star)) ** 2))
    return 0.5 * float(np.sum((p.X @ W - p.Y) ** 2))


def two_layer_grad(p, W1, W2):
    """Loss and gradients of L(W1, W2) = ℓ(W1W2ᵀ) (§1.2, eq. 7–8).

    Returns (L − ℓ*, ∇ℓ(W), ∂L/∂W1 = ∇ℓ W2, ∂L/∂W2 = ∇ℓᵀ W1, W) with ∇ℓ = Xᵀ(XW − Y).
    """
    W = W1 @ W2.T
    R = p.X @ W - p.Y
    G = p.X.T @ R
    if p.loss_star > 0.0:
        L = two_layer_loss(p, W)
    else:
        L = 0.5 * float(np.vdot(R, R))
    return L, G, G @ W2, G.T @ W1, W


def imbalance(W1, W2):
    """D = W1ᵀW1 − W2ᵀW2 (h×h, §1.3).  Only for small h: it is formed densely."""
    return W1.T @ W1 - W2.T @ W2


def imbalance_eigenvalues(W1, W2):
    """All h eigenvalues of D0 = W1ᵀW1 − W2ᵀW2, descending, without forming D0.

    With M = [W1; W2] and S = diag(I_n, −I_m), D0 = MᵀSM.  A thin QR Mᵀ = QR gives
    D0 = Q (R S Rᵀ) Qᵀ, so the eigenvalues are those of the small R S Rᵀ padded with
    zeros (rank D0 ≤ n + m).  Cost O((n+m)² h) instead of O(h³).
    """
    n, h = W1.shape
    m = W2.shape[0]
    R = np.linalg.qr(np.vstack([W1, W2]).T, mode="r")  # k×(n+m), k = min(h, n+m)
    s = np.concatenate([np.ones(n), -np.ones(m)])
    ev = np.linalg.eigvalsh((R * s) @ R.T)
    ev = np.concatenate([ev, np.zeros(h - ev.size)])
    return np.sort(ev)[::-1]


class DriftMeter:
    """‖D(t) − D(0)‖_F along a run without forming the h×h imbalance (§1.3).

    With M = [W1; W2], S = diag(I, −I) and Δ = M(t) − M(0):
    D(t) − D(0) = M0ᵀSΔ + ΔᵀSM0 + ΔᵀSΔ = Pᵀ N P, P = [M0; Δ], N = [[0, S], [S, S]],
    and ‖PᵀNP‖² = tr(NΓNΓ) with the small Gram Γ = PPᵀ.  Working with Δ rather than
    M(t) keeps the cancellation relative to ‖M0‖‖Δ‖ instead of ‖D‖.
    """

    def __init__(self, W1, W2):
        self.M0 = np.vstack([W1, W2])
        k = self.M0.shape[0]
        s = np.concatenate([np.ones(W1.shape[0]), -np.ones(W2.shape[0])])
        self.N = np.zeros((2 * k, 2 * k))
        self.N[:k, k:] = np.diag(s)
        self.N[k:, :k] = np.diag(s)
        self.N[k:, k:] = np.diag(s)
        self.G00 = self.M0 @ self.M0.T

    def __call__(self, M):
        """‖D − D(0)‖_F at the iterate M = [W1; W2]."""
        delta = M - self.M0
        cross = self.M0 @ delta.T
        gram = np.block([[self.G00, cross], [cross.T, delta @ delta.T]])
        A = self.N @ gram
        return math.sqrt(max(float(np.sum(A * A.T)), 0.0))


def reduced_problem(p):
    """The same problem in the coordinates Z = [W1; W2]Q of B(0)'s row space.

    Q is an orthonormal basis (h×k, k = n + m) of the rows of B(0) = [W1; W2]. GD and GF
    keep B(t) in that row space (eq. 7–8), so B(t) = Z(t)Qᵀ: W = Z1Z2ᵀ, the Gram
    matrices, ‖∇L‖ and ‖D(t) − D(0)‖ are the h-wide run's (lrsweep's
    coordinates = "reduced"). The [P1] constants need the true h (D0 has h − k more
    zero eigenvalues): compute them on p, not on the returned problem.
    """
    n, m, h = p.dims
    if h <= n + m:
        return p
    Q, _ = np.linalg.qr(np.vstack([p.W1, p.W2]).T)
    return dataclasses.replace(p, W1=p.W1 @ Q, W2=p.W2 @ Q)


def cubic_step_root(a, b, c):
    """Unique positive root of c η³ + b η² + a η − 1 = 0 (a > 0, b, c ≥ 0).

    This is η·K_t(η) = 1 (§1.6 `local`).  f is increasing and convex on η > 0 and
    f(1/a) ≥ 0, so Newton from η = 1/a decreases monotonically to the root.
    """
    eta = 1.0 / a
    for _ in range(100):
        f = ((c * eta + b) * eta + a) * eta - 1.0
        step = f / ((3.0 * c * eta + 2.0 * b) * eta + a)
        eta -= step
        if step <= 4e-16 * eta:
            break
    return eta


def local_K(K, smax2_T, smax_W, L, eta):
    """K_t(η) of Theorem 3.1 (eq. 10–12):
    K σ²max(T) + √(2KL) + 6K² σmax(W) L η² + 3K σ²max(T) √(2KL) η."""
    r = math.sqrt(2.0 * K * L)
    return K * smax2_T + r + 6.0 * K * K * smax_W * L * eta ** 2 + 3.0 * K * smax2_T * r * eta


# ---- global constants (§1.3, §1.5) ----------------------------------------------


def _mu_bar(th, eta0, c):
    """μ̄ = μ[α1 + 2α2(1 − e^{η0^c})] (Lemma 3.1)."""
    return th["mu"] * (th["alpha1"] - 2.0 * th["alpha2"] * math.expm1(eta0 ** c))


def _K_bar(th, eta0, t, c, d, rho_bar0=None):
    """K̄_t = √(2K L0 ρ̄0^t) + 6K²β2 L0 η0² Δ^t + K e^{η0^c} α2 [1 + 3√(2K L0 Δ^t) η0],
    Δ = (1 + η0^d) ρ̄(η0, 0) (Theorem 3.2).  K̄_0 needs no ρ̄ (Δ^0 = 1)."""
    K, L0, a2, b2 = th["K"], th["L0"], th["alpha2"], th["beta2"]
    if t == 0:
        rt = dt = 1.0
    else:
        rt = max(rho_bar0, 0.0) ** t
        dt = max((1.0 + eta0 ** d) * rho_bar0, 0.0) ** t
    return (math.sqrt(2.0 * K * L0 * rt) + 6.0 * K * K * b2 * L0 * eta0 ** 2 * dt
            + K * math.exp(eta0 ** c) * a2 * (1.0 + 3.0 * math.sqrt(2.0 * K * L0 * dt) * eta0))


def _rho_bar(mu_bar, K_bar, eta):
    """ρ̄(η, t) = 1 − 2μ̄η + μ̄K̄_t η²."""
    return 1.0 - 2.0 * mu_bar * eta + mu_bar * K_bar * eta * eta


def _eq102_gap(th, eta, c, d):
    """Eq. 102 as a sign function: [(1 − e^{−η^c})(1 − Δ(η)) − 4K L0 η²] / [η(1 − e^{−η^c})],
    i.e. (1 − Δ)/η − 4K L0 η/(1 − e^{−η^c}), with (1 − Δ)/η = μ̄(2 − K̄_0η) − η^{d−1}ρ̄(η, 0).

    Dividing by the positive η(1 − e^{−η^c}) keeps the sign and avoids the underflow
    and cancellation of the raw difference at small η.
    """
    mb = _mu_bar(th, eta, c)
    kb = _K_bar(th, eta, 0, c, d)
    one_minus_delta_over_eta = mb * (2.0 - kb * eta) - eta ** (d - 1.0) * _rho_bar(mb, kb, eta)
    return one_minus_delta_over_eta + 4.0 * th["K"] * th["L0"] * eta / math.expm1(-eta ** c)


def theory_constants(p, eta0=None, c=0.5, d=1.01, beta2_norm="spectral"):
    """[P1] constants at t = 0 (papers.md §1.3–1.5), as lrs_theory of result.h.

    D0 spectrum → λ±, Δ̲, Δ±; margins β1, β2 with ‖W(0) − W*‖ Frobenius; α1, α2;
    η⁽¹⁾ (eq. 101, brentq on [0, 1/(√(2KL0) + Kα2)]), η⁽²⁾ (eq. 102: first sign change
    of the gap on a log grid below the log term, then brentq; ∞ if none),
    η_max = min(η⁽¹⁾, η⁽²⁾, [log(1 + α1/(2α2))]^{1/c}); μ̄, K̄_0, ρ̄(η0, 0) at
    η0 (η_max when None); asymptotic rate 1 − (μ/K) α1/α2.

    ``beta2_norm="frobenius"`` replaces σ_max(W*) in β2 by ‖W*‖_F.  That is NOT the
    printed formula, but it reproduces the α1/α2 of [P1] Fig. 1's titles (the printed
    σ_max gives ≈ 0.60 / 0.70 / 0.84 instead of 0.555 / 0.675 / 0.829); see the report
    in tests/bench/README.md.
    """
    n, m, h = p.dims
    mu, K = p.mu, p.K
    ev = imbalance_eigenvalues(p.W1, p.W2)  # descending, length h
    lam_plus = max(ev[0], 0.0)
    lam_minus = max(-ev[-1], 0.0)
    lam_n = max(ev[n - 1], 0.0) if n <= h else 0.0  # λ_n(D0)
    lam_m_neg = max(-ev[h - m], 0.0) if m <= h else 0.0  # λ_m(−D0)
    d_under = lam_n + lam_m_neg
    d_plus = lam_plus - lam_n
    d_minus = lam_minus - lam_m_neg
    W0 = p.W1 @ p.W2.T
    sw = np.linalg.svd(p.W_star, compute_uv=False)
    dist = math.sqrt(K / mu) * float(np.linalg.norm(W0 - p.W_star)) if mu > 0 else math.inf
    beta1 = max(0.0, sw[-1] - dist) if min(n, m) == sw.size else 0.0
    beta2 = (sw[0] if beta2_norm == "spectral" else float(np.linalg.norm(p.W_star))) + dist
    alpha1 = 0.5 * (-d_plus - d_minus + math.hypot(d_plus + d_under, 2 * beta1)
                    + math.hypot(d_minus + d_under, 2 * beta1))
    alpha2 = 0.5 * (lam_plus + math.hypot(lam_plus, 2 * beta2)) \
        + 0.5 * (lam_minus + math.hypot(lam_minus, 2 * beta2))
    th = dict(mu=mu, K=K, L0=two_layer_loss(p, W0), lambda_plus=lam_plus,
              lambda_minus=lam_minus, delta_under=d_under, delta_plus=d_plus,
              delta_minus=d_minus, beta1=beta1, beta2=beta2, alpha1=alpha1, alpha2=alpha2,
              c=c, d=d)
    th["ratio"] = alpha1 / alpha2
    th["asymptotic_rate"] = 1.0 - (mu / K) * alpha1 / alpha2
    log_term = math.log1p(alpha1 / (2.0 * alpha2)) ** (1.0 / c) if alpha1 > 0 else 0.0
    # eq. 101: η K̄_0(η) is increasing from 0 and ≥ η(√(2KL0) + Kα2).
    hi = 1.0 / (math.sqrt(2.0 * K * th["L0"]) + K * alpha2)
    eta1 = optimize.brentq(lambda e: e * _K_bar(th, e, 0, c, d) - 1.0, 0.0, hi,
                           xtol=1e-300, rtol=4 * np.finfo(float).eps)
    # eq. 102: positive near 0 (when 2μα1 dominates), negative at the log term.
    eta2 = math.inf
    if log_term > 0:
        grid = np.geomspace(1e-300, log_term, 4000)
        gaps = np.array([_eq102_gap(th, e, c, d) for e in grid])
        neg = np.flatnonzero(gaps < 0.0)
        if neg.size and neg[0] > 0:
            i = neg[0]
            eta2 = optimize.brentq(lambda e: _eq102_gap(th, e, c, d), grid[i - 1], grid[i],
                                   xtol=1e-300, rtol=4 * np.finfo(float).eps)
        elif neg.size:
            eta2 = 0.0  # negative already at the smallest representable scale
    cands = {"eta1": eta1, "eta2": eta2, "log": log_term}
    bound = min(cands, key=cands.get)
    th.update(eta1=eta1, eta2=eta2, log_term=log_term, eta_max=cands[bound],
              eta_max_bound=bound)
    th["eta0"] = th["eta_max"] if eta0 is None else float(eta0)
    e0 = th["eta0"]
    th["mu_bar"] = _mu_bar(th, e0, c)
    th["K_bar0"] = _K_bar(th, e0, 0, c, d)
    th["rho_bar0"] = _rho_bar(th["mu_bar"], th["K_bar0"], e0)
    return th


# ---- gradient descent (§1.2) with the step rules of §1.6 ------------------------


RECORD_FIELDS = ("step", "time", "loss", "grad_norm", "step_size", "sigma_min2_T",
                 "sigma_max2_T", "mu_t", "K_t", "rho_t", "bound_local", "bound_global",
                 "bound_const", "imbalance_drift")


def _iterate_state(p, M, n):
    """Everything GD needs at one iterate M = [W1; W2] ((n+m)×h), from one Gram MMᵀ.

    MMᵀ = [[W1W1ᵀ, W], [Wᵀ, W2W2ᵀ]] gives W = W1W2ᵀ and the n×n, m×m Grams in a
    single BLAS call.  ‖T(U)‖² = tr(U W2W2ᵀ Uᵀ) + tr(Uᵀ W1W1ᵀ U), so (§1.4, eq. 10)
    σ²_min(T) = λ_min(W1W1ᵀ) + λ_min(W2W2ᵀ) and σ²_max(T) = λ_max(W1W1ᵀ) + λ_max(W2W2ᵀ)
    exactly (the minima are 0 when h < n or h < m).  Returns (L − ℓ*, [∂L/∂W1; ∂L/∂W2],
    ‖∇L‖², σ²_min(T), σ²_max(T), σ_max(W)); the Gram quantities are NaN when L is
    not finite.
    """
    gram = M @ M.T
    W = gram[:n, n:]
    R = p.X @ W - p.Y
    L = two_layer_loss(p, W) if p.loss_star > 0.0 else 0.5 * float(np.vdot(R, R))
    G = p.X.T @ R
    grad = np.vstack([G @ M[n:], G.T @ M[:n]])
    if not math.isfinite(L):
        return L, grad, math.nan, math.nan, math.nan, math.nan
    e1 = np.linalg.eigvalsh(gram[:n, :n])
    e2 = np.linalg.eigvalsh(gram[n:, n:])
    smin2 = max(e1[0], 0.0) + max(e2[0], 0.0)
    return (L, grad, float(np.vdot(grad, grad)), smin2, e1[-1] + e2[-1],
            float(np.linalg.norm(W, 2)))


def _backtrack(p, M, grad, n, L, gn2, eta_bt, shrink, gamma, armijo, max_shrinks):
    """App. G.2.1: from η_bt, η ← τη while L(W − η∇L) > L − γ‖∇L‖² (as printed; with
    ``armijo`` the decrease is γη‖∇L‖²).  Returns (η or None on failure, loss evals)."""
    eta = eta_bt
    for k in range(max_shrinks + 1):
        trial = M - eta * grad
        need = gamma * gn2 * (eta if armijo else 1.0)
        if two_layer_loss(p, trial[:n] @ trial[n:].T) <= L - need:
            return eta, k + 1
        eta *= shrink
    return None, max_shrinks + 1


def gd_two_layer(p, step_rule, eta0=None, max_iter=50, tol=1e-24, blowup=1e10,
                 bt_shrink=0.1, bt_sufficient=0.9, c=0.5, d=1.01, *, theory=None,
                 track_drift=True, bt_armijo=False, bt_max_shrinks=60):
    """GD of eq. 7–8 on a TwoLayerProblem with a §1.6 step rule.

    step_rule: "fixed" (η = eta0), "local" (η_t = min((1+η0^d)^{t/2}η0, 1/K_t), 1/K_t the
    positive root of η K_t(η) = 1, η0 = η_max when None), "global" (same with 1/K̄_t),
    "backtracking" (App. G.2.1 from η_bt = eta0: η ← τη while
    L(W − η∇L) > L − γ‖∇L‖², as printed; ``bt_armijo=True`` uses γη‖∇L‖² instead).

    Stops when L − ℓ* ≤ tol ("converged"), L non-finite or > blowup·L0 ("diverged"),
    after max_iter steps ("max_iter"); backtracking that cannot reach sufficient
    decrease within bt_max_shrinks shrinks stops with "numerical_failure".

    Bounds (§1.5–1.6): bound_local = L0 Π ρ(η_k, k), bound_global = L0 Π ρ̄(η_k, k),
    bound_const = L0 ρ̄(η0, 0)^t, with μ̄, K̄_t at η0 (NaN for backtracking, which has
    no η0 in the theory).

    Returns a dict: "status", "message", "iterations", "rhs_evals", "loss_evals",
    "loss0", "final_loss", "iters_to" (LEVELS·L0), "iters_to_tol", "max_drift",
    "theory" and "records" (dict of arrays named as lrs_record fields; record t is the
    iterate after t steps; step_size, K_t, rho_t are of the step taken from it).
    """
    if step_rule not in ("fixed", "local", "global", "backtracking"):
        raise ValueError(f"unknown step rule {step_rule!r}")
    if step_rule in ("fixed", "backtracking") and eta0 is None:
        raise ValueError(f"step rule {step_rule!r} needs eta0")
    t_start = time.perf_counter()
    have_bar = step_rule != "backtracking" and p.mu > 0
    if have_bar:
        if theory is None or (eta0 is not None and theory["eta0"] != eta0):
            theory = theory_constants(p, eta0, c, d)
        eta0 = theory["eta0"]
        mu_bar, rho_bar0 = theory["mu_bar"], theory["rho_bar0"]
    mu, K = p.mu, p.K
    n = p.W1.shape[0]
    rec = {f: np.full(max_iter + 1, np.nan) for f in RECORD_FIELDS}
    M = np.vstack([p.W1, p.W2])  # [W1; W2], updated in place
    drift = DriftMeter(p.W1, p.W2) if track_drift else None
    status, message = "max_iter", ""
    loss_evals = 0
    elapsed, b_loc, b_glob = 0.0, 1.0, 1.0
    for t in range(max_iter + 1):
        L, grad, gn2, smin2, smax2, smax_W = _iterate_state(p, M, n)
        if t == 0:
            L0 = L
        r = {"step": t, "time": elapsed, "loss": L, "grad_norm": math.sqrt(gn2),
             "sigma_min2_T": smin2, "sigma_max2_T": smax2, "mu_t": mu * smin2,
             "bound_local": b_loc * L0,
             "bound_global": b_glob * L0 if have_bar else math.nan,
             "bound_const": L0 * rho_bar0 ** t if have_bar else math.nan,
             "imbalance_drift": drift(M) if drift is not None else math.nan}
        if not math.isfinite(L) or L > blowup * L0:
            status = "diverged"
            message = "loss not finite" if not math.isfinite(L) else "loss > blowup·L0"
        elif L <= tol:
            status = "converged"
        if status != "max_iter" or t == max_iter:
            for k, v in r.items():
                rec[k][t] = v
            break
        # the step of §1.6
        if step_rule == "fixed":
            eta = eta0
        elif step_rule == "local":
            rt = math.sqrt(2.0 * K * L)
            inv_K = cubic_step_root(K * smax2 + rt, 3.0 * K * smax2 * rt,
                                    6.0 * K * K * smax_W * L)
            eta = min((1.0 + eta0 ** d) ** (t / 2.0) * eta0, inv_K)
        elif step_rule == "global":
            eta = min((1.0 + eta0 ** d) ** (t / 2.0) * eta0,
                      1.0 / _K_bar(theory, eta0, t, c, d, rho_bar0))
        else:
            eta, evals = _backtrack(p, M, grad, n, L, gn2, eta0, bt_shrink, bt_sufficient,
                                    bt_armijo, bt_max_shrinks)
            loss_evals += evals
            if eta is None:
                status = "numerical_failure"
                message = (f"backtracking: no sufficient decrease after {bt_max_shrinks} "
                           f"shrinks (L − γ‖∇L‖² = {L - bt_sufficient * gn2:.3g})")
                for k, v in r.items():
                    rec[k][t] = v
                break
        Kt = local_K(K, smax2, smax_W, L, eta)
        rho = 1.0 - 2.0 * mu * smin2 * eta + mu * smin2 * Kt * eta * eta
        r.update(step_size=eta, K_t=Kt, rho_t=rho)
        for k, v in r.items():
            rec[k][t] = v
        b_loc *= rho
        if have_bar:
            b_glob *= _rho_bar(mu_bar, _K_bar(theory, eta0, t, c, d, rho_bar0), eta)
        elapsed += eta
        M -= eta * grad
    rec = {k: v[: t + 1] for k, v in rec.items()}
    loss = rec["loss"]
    hit = lambda level: int(np.argmax(loss <= level)) if np.any(loss <= level) else -1
    return {
        "status": status, "message": message, "iterations": t, "rhs_evals": t + 1,
        "loss_evals": loss_evals, "loss0": float(loss[0]), "final_loss": float(loss[-1]),
        "iters_to": [hit(lv * loss[0]) for lv in LEVELS], "iters_to_tol": hit(tol),
        "max_drift": float(np.nanmax(rec["imbalance_drift"])) if track_drift else math.nan,
        "theory": theory, "records": rec, "wall_seconds": time.perf_counter() - t_start,
    }


def gf_two_layer(p, t_end, rtol=1e-10, atol=1e-12, method="DOP853", t_eval=None):
    """Gradient flow of §1.2 (Ẇ1 = −∇ℓ W2, Ẇ2 = −∇ℓᵀ W1) by solve_ivp.

    Returns (sol, W1(t_end), W2(t_end)).  D is conserved exactly by the flow (§1.3).
    """
    n, m, h = p.dims

    def field(_, y):
        W1, W2 = y[: n * h].reshape(n, h), y[n * h:].reshape(m, h)
        _, _, g1, g2, _ = two_layer_grad(p, W1, W2)
        return -np.concatenate([g1.ravel(), g2.ravel()])

    y0 = np.concatenate([p.W1.ravel(), p.W2.ravel()])
    sol = integrate.solve_ivp(field, (0.0, t_end), y0, method=method, rtol=rtol,
                              atol=atol, t_eval=t_eval)
    y = sol.y[:, -1]
    return sol, y[: n * h].reshape(n, h), y[n * h:].reshape(m, h)


# ----------------------------------------------------------------------------------
# LoRA on a factorized model [P2]
# ----------------------------------------------------------------------------------


@dataclasses.dataclass
class LoraProblem:
    """Pre-trained factors, fine-tuning target and initial adapters (papers.md §2.1–2.2).

    Shapes: W2 m×h, W1 h×n, A1 r×n, B1 h×r, A2 r×h, B2 m×r.  (u, v, g) is the rank-one
    direction of ΔY = σ u vᵀ and ``sv`` the singular values of Y_pre.
    """

    Y_pre: np.ndarray
    dY: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    A1: np.ndarray
    B1: np.ndarray
    A2: np.ndarray
    B2: np.ndarray
    u: np.ndarray
    v: np.ndarray
    g: np.ndarray
    sigma: float
    sigma_w1: float
    sigma_w2: float
    sv: np.ndarray
    directions: np.ndarray  # SVD indices used by the spectral init rows
    a_spec: np.ndarray  # spectral init coefficients a_i (rows of A1), or None
    b_spec: np.ndarray
    c: float

    @property
    def Y_ft(self):
        return self.Y_pre + self.dY

    @property
    def delta_w(self):
        return self.sigma_w1 / self.sigma_w2

    @property
    def adapters(self):
        return self.A1, self.B1, self.A2, self.B2


def lora_problem(m=10, n=10, h=100, r=4, c=1.05, sigma=5.0, pair="top", alpha=1e-3,
                 init="small", seed=0):
    """The [P2] §2.1–2.2 construction.

    Y_pre (m×n) i.i.d. N(0,1) = U Σ Vᵀ; G Haar orthogonal h×h; W2 = c U Σ^{1/2} G_kᵀ,
    W1 = (1/c) G_k Σ^{1/2} Vᵀ (G_k the first k = min(m, n) columns), so W2W1 = Y_pre.
    ΔY = σ u vᵀ with (u, v) the top or bottom singular pair; g = G column j of that pair.
    Init "small": A1, A2 i.i.d. N(0, α²), B1 = B2 = 0.  "spectral": B = 0, row i of A1 is
    a_i v_{j_i}ᵀ and row i of A2 is b_i g_{j_i}ᵀ, a_i, b_i ~ N(0, α²); j_1 is the ΔY pair,
    j_2..j_r the remaining Y_pre directions in decreasing singular-value order.
    """
    rng_data, rng_init, _ = _streams(seed)
    k = min(m, n)
    if not 1 <= r <= k or h < k:
        raise ValueError("need 1 ≤ r ≤ min(m, n) ≤ h")
    Y_pre = rng_data.standard_normal((m, n))
    U, sv, Vt = np.linalg.svd(Y_pre, full_matrices=False)
    G = haar_orthogonal(rng_init, h)
    root = np.sqrt(sv)
    W2 = c * (U * root) @ G[:, :k].T
    W1 = (1.0 / c) * (G[:, :k] * root) @ Vt
    j = {"top": 0, "bottom": k - 1}[pair]
    u, v, g = U[:, j], Vt[j], G[:, j]
    dY = sigma * np.outer(u, v)
    directions = np.array([j] + [i for i in range(k) if i != j][: r - 1])
    a_spec = b_spec = None
    if init == "small":
        A1 = alpha * rng_init.standard_normal((r, n))
        A2 = alpha * rng_init.standard_normal((r, h))
    elif init == "spectral":
        a_spec = alpha * rng_init.standard_normal(r)
        b_spec = alpha * rng_init.standard_normal(r)
        A1 = a_spec[:, None] * Vt[directions]
        A2 = b_spec[:, None] * G[:, directions].T
    else:
        raise ValueError(f"unknown LoRA init {init!r}")
    return LoraProblem(Y_pre=Y_pre, dY=dY, W1=W1, W2=W2, A1=A1, B1=np.zeros((h, r)),
                       A2=A2, B2=np.zeros((m, r)), u=u, v=v, g=g, sigma=sigma,
                       sigma_w1=float(np.linalg.norm(W1 @ v)),
                       sigma_w2=float(np.linalg.norm(W2.T @ u)), sv=sv,
                       directions=directions, a_spec=a_spec, b_spec=b_spec, c=c)


def lora_problem_from_dump(path):
    """The LoRA problem of an lrsweep point dump (`lrsweep run ... --dump`, README:
    Point dumps), so both sides solve the same instance.  ΔY = σ u vᵀ is its top
    singular pair, and g = W1v/‖W1v‖ (W1 = (1/c) G_k Σ^{1/2} Vᵀ maps v onto its
    G column, sign included); c and the spectral-init fields are not in a dump."""
    import h5py
    with h5py.File(path, "r") as f:
        d = {k: f[k][()] for k in ("Y_pre", "dY", "W1", "W2", "A1", "B1", "A2", "B2")}
    U, s, Vt = np.linalg.svd(d["dY"])
    u, v = U[:, 0], Vt[0]
    w1v = d["W1"] @ v
    return LoraProblem(**d, u=u, v=v, g=w1v / np.linalg.norm(w1v), sigma=float(s[0]),
                       sigma_w1=float(np.linalg.norm(w1v)),
                       sigma_w2=float(np.linalg.norm(d["W2"].T @ u)),
                       sv=np.linalg.svd(d["Y_pre"], compute_uv=False), directions=None,
                       a_spec=None, b_spec=None, c=math.nan)


def lora_field(p, A1, B1, A2, B2):
    """Loss and the GF vector field of §2.1 (descent = minus the gradient).

    P2 = W2 + B2A2, P1 = W1 + B1A1, E = Y_ft − P2P1, L = ½‖E‖²;
    Ḃ1 = P2ᵀ E A1ᵀ, Ȧ1 = B1ᵀ P2ᵀ E, Ḃ2 = E P1ᵀ A2ᵀ, Ȧ2 = B2ᵀ E P1ᵀ.
    Returns (L, dA1, dB1, dA2, dB2, E).
    """
    P2 = p.W2 + B2 @ A2
    P1 = p.W1 + B1 @ A1
    E = p.Y_ft - P2 @ P1
    P2tE = P2.T @ E  # h×n
    EP1t = E @ P1.T  # m×h
    return (0.5 * float(np.vdot(E, E)), B1.T @ P2tE, P2tE @ A1.T, B2.T @ EP1t,
            EP1t @ A2.T, E)


def _misalign(p, Z1):
    """1 − |cos(γ1, U_Z1)| = ‖U − s γ1‖²/2 (s = sign of the cosine), no cancellation."""
    U = np.linalg.svd(Z1, full_matrices=False)[0][:, 0]
    gamma = np.concatenate([p.g, p.v]) / math.sqrt(2.0)
    s = 1.0 if float(U @ gamma) >= 0 else -1.0
    return 0.5 * float(np.sum((U - s * gamma) ** 2))


def lora_record(p, A1, B1, A2, B2, E=None):
    """One §2.4 record: L, L_S, L_N, log10(1 − |cos(γ1, U_Z1)|), ‖Z1‖, ‖Z2‖ (Frobenius
    and spectral), ‖Z1‖²/‖Z2‖² (Frobenius), the signal coordinate gᵀB1A1v.

    L_S = ½(σ − uᵀFv)² = ½(uᵀEv)² with F = P2P1 − Y_pre; L_N = ½‖E − (uᵀEv) u vᵀ‖²
    (= L − L_S, computed without cancellation).
    """
    if E is None:
        E = p.Y_ft - (p.W2 + B2 @ A2) @ (p.W1 + B1 @ A1)
    es = float(p.u @ E @ p.v)
    Z1 = np.vstack([B1, A1.T])
    Z2 = np.vstack([B2, A2.T])
    z1f, z2f = float(np.linalg.norm(Z1)), float(np.linalg.norm(Z2))
    with np.errstate(divide="ignore"):
        mis = float(np.log10(_misalign(p, Z1)))
    return {
        "loss": 0.5 * float(np.vdot(E, E)), "loss_signal": 0.5 * es * es,
        "loss_noise": 0.5 * float(np.sum((E - es * np.outer(p.u, p.v)) ** 2)),
        "log10_misalign": mis, "z1_fro": z1f, "z2_fro": z2f,
        "z1_spec": float(np.linalg.norm(Z1, 2)), "z2_spec": float(np.linalg.norm(Z2, 2)),
        "z_ratio": z1f ** 2 / z2f ** 2 if z2f > 0 else math.inf,
        "signal_coord": float(p.g @ B1 @ (A1 @ p.v)),
    }


def record_steps(total, records=200, every=0):
    """Record indices 0..total: every k-th (every > 0) or ~records log-spaced (every = 0)."""
    if every > 0:
        steps = np.arange(0, total + 1, every)
    else:
        steps = np.unique(np.round(np.geomspace(1, total + 1, records)).astype(int) - 1)
    return np.union1d(steps, [0, total])


def _lora_summary(p, recs, times, status, align_fraction=0.5):
    """Summary of §2.4: δ_w, σ_W1, σ_W2, the final floor, the end of the alignment
    phase and the alignment plateau.

    papers.md asks for "the first time ‖Z1‖ exceeds a documented multiple of its
    initial size", but during alignment ‖Z1‖ grows like e^{σσ_W2 t} from size ∝ α, so
    a fixed multiple is reached after a time independent of α.  Here the phase ends at
    the first record where ‖Z1‖_F ≥ align_fraction × its largest recorded value (the
    adapters end O(1)), which does scale like log(1/α)/(σσ_W2).  The plateau is
    log10(1 − |cos|) at the last record: after alignment it settles to a level ∝ α².
    """
    z1 = recs["z1_fro"]
    past = np.flatnonzero(z1 >= align_fraction * np.nanmax(z1))
    i = past[0] if past.size else -1
    return {
        "status": status, "delta_w": p.delta_w, "sigma_w1": p.sigma_w1,
        "sigma_w2": p.sigma_w2, "loss0": float(recs["loss"][0]),
        "final_loss": float(recs["loss"][-1]), "final_floor": float(recs["loss"][-1]),
        "align_end": float(times[i]) if i >= 0 else math.nan,
        "align_plateau": float(recs["log10_misalign"][-1]),
    }


def _stack_records(rows, extra):
    out = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    out.update({k: np.asarray(v) for k, v in extra.items()})
    return out


def lora_gd(p, eta=1e-4, steps=50000, tol=0.0, blowup=1e10, records=200, record_every=0):
    """GD with a fixed step on the four adapters (§2.1; the paper's GF approximation).

    All four factors move at once with the gradients at the current point.  Stops on
    L ≤ tol, non-finite or > blowup·L0, or after ``steps``.  Records per §2.4 at
    record_steps(steps, records, record_every) and at the last step.
    """
    t0 = time.perf_counter()
    A1, B1, A2, B2 = (x.copy() for x in p.adapters)
    want = set(record_steps(steps, records, record_every).tolist())
    rows, at = [], []
    status, L0 = "max_iter", None
    for k in range(steps + 1):
        L, dA1, dB1, dA2, dB2, E = lora_field(p, A1, B1, A2, B2)
        L0 = L if L0 is None else L0
        if not math.isfinite(L) or L > blowup * L0:
            status = "diverged"
        elif L <= tol:
            status = "converged"
        if k in want or status != "max_iter":
            rows.append(lora_record(p, A1, B1, A2, B2, E))
            at.append(k)
        if status != "max_iter" or k == steps:
            break
        A1 += eta * dA1
        B1 += eta * dB1
        A2 += eta * dA2
        B2 += eta * dB2
    at = np.array(at)
    recs = _stack_records(rows, {"step": at, "time": at * eta})
    out = _lora_summary(p, recs, at, status)
    out.update(iterations=k, rhs_evals=k + 1, records=recs,
               wall_seconds=time.perf_counter() - t0)
    return out


def _pack(A1, B1, A2, B2):
    return np.concatenate([A1.ravel(), B1.ravel(), A2.ravel(), B2.ravel()])


def _unpack(p, y):
    shapes = [x.shape for x in p.adapters]
    out, i = [], 0
    for s in shapes:
        out.append(y[i: i + s[0] * s[1]].reshape(s))
        i += s[0] * s[1]
    return out


def lrsweep_gf_times(horizon, records=200):
    """lrsweep's GF record times (lrsweep/solver.h): t = 0 and `records` log-spaced
    times in [LRS_GF_FIRST_RECORD·horizon, horizon], LRS_GF_FIRST_RECORD = 1e-3."""
    frac = np.arange(records) / max(records - 1, 1)
    return np.union1d([0.0], horizon * 1e-3 ** (1.0 - frac))


def lora_gf(p, t_end=5.0, rtol=1e-10, atol=1e-12, method="DOP853", records=200,
            times=None):
    """Gradient flow of §2.1 by scipy.integrate.solve_ivp on the flattened
    (A1, B1, A2, B2).  Records at `times` (default: t = 0 and records − 1 log-spaced
    times in [1e-4·t_end, t_end]); reports nfev (vector-field evaluations), accepted
    steps (approximated by nfev for methods that do not report them) and the final
    loss."""
    t0 = time.perf_counter()

    def field(_, y):
        _, dA1, dB1, dA2, dB2, _ = lora_field(p, *_unpack(p, y))
        return _pack(dA1, dB1, dA2, dB2)

    if times is None:
        times = np.union1d([0.0], np.geomspace(t_end * 1e-4, t_end, records - 1))
    sol = integrate.solve_ivp(field, (0.0, t_end), _pack(*p.adapters), method=method,
                              rtol=rtol, atol=atol, t_eval=times)
    rows = [lora_record(p, *_unpack(p, y)) for y in sol.y.T]
    recs = _stack_records(rows, {"time": sol.t, "step": np.arange(sol.t.size)})
    out = _lora_summary(p, recs, sol.t, "max_iter" if sol.success else "numerical_failure")
    out.update(final_time=float(sol.t[-1]), iterations=-1, rhs_evals=int(sol.nfev),
               message=sol.message,
               records=recs, wall_seconds=time.perf_counter() - t0)
    return out


def lora_scalar_gd(p, eta, steps):
    """The decoupled scalar dynamics of §2.2 (spectral init), one problem per row i:
    e = s − (w2 b1a1 + w1 b2a2 + b2a2 b1a1), ḃ1 = (w2 + b2a2)e a1, ȧ1 = (w2 + b2a2)e b1,
    ḃ2 = (w1 + b1a1)e a2, ȧ2 = (w1 + b1a1)e b2, with w1 = √s_j/c, w2 = c√s_j and s the
    singular value of ΔY along direction j (σ for row 1, 0 otherwise); integrated by
    the same fixed-step GD.  Returns the loss Σ½e² after each step (length steps+1)."""
    if p.a_spec is None:
        raise ValueError("the scalar reduction needs the spectral init")
    root = np.sqrt(p.sv[p.directions])
    w1, w2 = root / p.c, root * p.c
    s = np.zeros(len(p.directions))
    s[0] = p.sigma
    a1, a2 = p.a_spec.copy(), p.b_spec.copy()
    b1 = np.zeros_like(a1)
    b2 = np.zeros_like(a1)
    losses = np.empty(steps + 1)
    for k in range(steps + 1):
        e = s - (w2 * b1 * a1 + w1 * b2 * a2 + b2 * a2 * b1 * a1)
        losses[k] = 0.5 * float(e @ e)
        f2, f1 = (w2 + b2 * a2) * e, (w1 + b1 * a1) * e
        b1, a1, b2, a2 = b1 + eta * f2 * a1, a1 + eta * f2 * b1, b2 + eta * f1 * a2, \
            a2 + eta * f1 * b2
    return losses


# ----------------------------------------------------------------------------------
# A grid the way a user runs it: a Python for loop
# ----------------------------------------------------------------------------------


def solve_point(pt):
    """Solve one point given as a dict of lrs_point field names (point.h).

    two_layer keys: input_dim, output_dim, width, sigma2, init_scale (or init_exponent),
    data, target, samples, step_rule, step_size (NaN/None = η_max), max_iter, tol,
    blowup, bt_shrink, bt_sufficient, theory_c, theory_d, method ("gd" or "none"),
    seed.  lora keys: output_dim, input_dim, width, lora_rank, balance, delta_scale,
    delta_pair, init_scale, init, method ("gd" or "gf"), step_size, max_iter, horizon,
    rtol, atol, tol, seed.
    """
    g = lambda k, default: pt.get(k, default)
    seed = g("seed", 0)
    if g("model", "two_layer") == "two_layer":
        p = two_layer_problem(g("input_dim", 10), g("output_dim", 10), g("width", 100),
                              g("sigma2", 0.01), seed, g("init_scale", 1.0),
                              data=g("data", "orthogonal"), target=g("target", "teacher"),
                              samples=g("samples", 0), init_exponent=g("init_exponent", None))
        eta = g("step_size", None)
        eta = None if eta is None or (isinstance(eta, float) and math.isnan(eta)) else eta
        c, d = g("theory_c", 0.5), g("theory_d", 1.01)
        if g("method", "gd") == "none":
            return {"status": "theory_only", "theory": theory_constants(p, eta, c, d)}
        return gd_two_layer(p, g("step_rule", "local"), eta, g("max_iter", 1000),
                            g("tol", 1e-24), g("blowup", 1e10), g("bt_shrink", 0.1),
                            g("bt_sufficient", 0.9), c, d)
    p = lora_problem(g("output_dim", 10), g("input_dim", 10), g("width", 100),
                     g("lora_rank", 4), g("balance", 1.05), g("delta_scale", 5.0),
                     g("delta_pair", "top"), g("init_scale", 1e-3), g("init", "small"), seed)
    if g("method", "gd") == "gf":
        return lora_gf(p, g("horizon", 100.0), g("rtol", 1e-10), g("atol", 1e-12))
    return lora_gd(p, g("step_size", 1e-4), g("max_iter", 1000), g("tol", 0.0))


def serial_sweep(points):
    """Solve a list of point dicts one after the other (a plain Python for loop)."""
    results = []
    for pt in points:
        results.append(solve_point(pt))
    return results


# ----------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items() if k != "records"}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else str(float(x))
    if isinstance(x, np.integer):
        return int(x)
    return x


def _cmd_gd(a):
    t0 = time.perf_counter()
    p = two_layer_problem(a.n, a.m, a.h, a.sigma2, a.seed, a.init_scale)
    t1 = time.perf_counter()
    th = theory_constants(p, None if a.rule == "backtracking" else a.eta0, a.c, a.d)
    t2 = time.perf_counter()
    # η0 of local/global defaults to η_max; fixed and backtracking also start there
    eta0 = th["eta_max"] if a.eta0 is None else a.eta0
    res = gd_two_layer(reduced_problem(p) if a.reduced else p, a.rule, eta0, a.iters,
                       a.tol, c=a.c, d=a.d, theory=th, track_drift=not a.no_drift,
                       bt_armijo=a.armijo)
    steps = max(res["iterations"], 1)
    out = {
        "h": a.h, "rule": a.rule, "seed": a.seed, "sigma2": a.sigma2,
        "status": res["status"], "message": res["message"],
        "iterations": res["iterations"], "seconds_problem": t1 - t0,
        "seconds_theory": t2 - t1, "seconds_gd": res["wall_seconds"],
        "seconds_per_iteration": res["wall_seconds"] / steps,
        "loss0": res["loss0"], "final_loss": res["final_loss"],
        "iters_to_1e-24": int(np.argmax(res["records"]["loss"] <= 1e-24))
        if np.any(res["records"]["loss"] <= 1e-24) else -1,
        "alpha1": th["alpha1"], "alpha2": th["alpha2"], "alpha_ratio": th["ratio"],
        "eta_max": th["eta_max"], "eta_max_bound": th["eta_max_bound"],
        "eta1": th["eta1"], "eta2": th["eta2"], "log_term": th["log_term"],
        "eta0": eta0, "max_drift": res["max_drift"], "reduced": a.reduced,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    print(json.dumps(_jsonable(out), ensure_ascii=False))


def _cmd_lora(a, method):
    dump = getattr(a, "dump", None)
    p = lora_problem_from_dump(dump) if dump else \
        lora_problem(a.m, a.n, a.h, a.r, a.c, a.sigma, a.pair, a.alpha, a.init, a.seed)
    if method == "gf":
        res = lora_gf(p, a.t_end, a.rtol, a.atol, a.method,
                      times=lrsweep_gf_times(a.t_end, a.records) if dump else None)
        extra = {"nfev": res["rhs_evals"], "t_end": a.t_end, "rtol": a.rtol, "atol": a.atol,
                 "method": a.method}
        if dump:
            extra.update(dump=dump, times=res["records"]["time"].tolist(),
                         losses=res["records"]["loss"].tolist())
    else:
        res = lora_gd(p, a.eta, a.steps)
        extra = {"steps": res["iterations"], "eta": a.eta,
                 "seconds_per_step": res["wall_seconds"] / max(res["iterations"], 1)}
    out = {"init": a.init, "alpha": a.alpha, "seed": a.seed, "seconds": res["wall_seconds"],
           "final_loss": res["final_loss"], "loss0": res["loss0"],
           "align_end": res["align_end"], "align_plateau": res["align_plateau"],
           "delta_w": res["delta_w"], **extra}
    print(json.dumps(_jsonable(out), ensure_ascii=False))


def sweep_points(count, seed=0):
    """``count`` small two_layer points in the shape of sweeps/quickstart.toml
    (h ∈ {100, 400} × σ² ∈ {0.01, 1} × replicates, `local` rule, 30 iterations):
    the serial-sweep benchmark grid."""
    return [{"model": "two_layer", "width": (100, 400)[i % 2],
             "sigma2": (0.01, 1.0)[(i // 2) % 2], "seed": seed + i // 4,
             "step_rule": "local", "max_iter": 30, "tol": 1e-24} for i in range(count)]


def _cmd_sweep(a):
    pts = sweep_points(a.points, a.seed)
    t0 = time.perf_counter()
    res = serial_sweep(pts)
    dt = time.perf_counter() - t0
    statuses = {}
    for r in res:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(json.dumps({"points": len(pts), "seconds": dt, "points_per_second": len(pts) / dt,
                      "statuses": statuses}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gd", help="GD on the [P1] §1.7 setting")
    g.add_argument("--n", type=int, default=10)
    g.add_argument("--m", type=int, default=10)
    g.add_argument("--h", type=int, default=500)
    g.add_argument("--sigma2", type=float, default=0.01)
    g.add_argument("--init-scale", type=float, default=1.0)
    g.add_argument("--rule", default="local",
                   choices=["fixed", "local", "global", "backtracking"])
    g.add_argument("--eta0", type=float, default=None,
                   help="η (fixed), η0 (local/global), η_bt (backtracking); default η_max")
    g.add_argument("--iters", type=int, default=50)
    g.add_argument("--tol", type=float, default=1e-24)
    g.add_argument("--c", type=float, default=0.5)
    g.add_argument("--d", type=float, default=1.01)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--no-drift", action="store_true", help="skip ‖D(t) − D(0)‖ records")
    g.add_argument("--reduced", action="store_true",
                   help="iterate on Z = [W1; W2]Q (k×k), as lrsweep's coordinates = reduced")
    g.add_argument("--armijo", action="store_true",
                   help="backtracking with γη‖∇L‖² (not as printed)")
    for name in ("lora-gf", "lora-gd"):
        q = sub.add_parser(name, help=f"LoRA {name[5:].upper()} ([P2] §2, Fig. 1 setting)")
        q.add_argument("--m", type=int, default=10)
        q.add_argument("--n", type=int, default=10)
        q.add_argument("--h", type=int, default=100)
        q.add_argument("--r", type=int, default=4)
        q.add_argument("--c", type=float, default=1.05)
        q.add_argument("--sigma", type=float, default=5.0)
        q.add_argument("--pair", default="top", choices=["top", "bottom"])
        q.add_argument("--alpha", type=float, default=1e-3)
        q.add_argument("--init", default="small", choices=["small", "spectral"])
        q.add_argument("--seed", type=int, default=0)
        if name == "lora-gf":
            q.add_argument("--t-end", type=float, default=5.0)
            q.add_argument("--rtol", type=float, default=1e-10)
            q.add_argument("--atol", type=float, default=1e-12)
            q.add_argument("--method", default="DOP853")
            q.add_argument("--dump", metavar="FILE",
                           help="solve the problem of an lrsweep point dump (other problem "
                                "options are ignored) with lrsweep's record times, and print "
                                "the record times and losses")
            q.add_argument("--records", type=int, default=200,
                           help="lrsweep's `records` (with --dump)")
        else:
            q.add_argument("--eta", type=float, default=1e-4)
            q.add_argument("--steps", type=int, default=50000)
    s = sub.add_parser("sweep", help="small two_layer points in a Python for loop")
    s.add_argument("--points", type=int, default=200)
    s.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "gd":
        _cmd_gd(a)
    elif a.cmd in ("lora-gf", "lora-gd"):
        _cmd_lora(a, a.cmd[5:])
    else:
        _cmd_sweep(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
