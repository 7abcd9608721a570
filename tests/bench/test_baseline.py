"""Correctness checks of the NumPy baselines (papers.md §1–§2).

Run: /usr/bin/python3 -m pytest tests/bench/test_baseline.py -q   (about 10 s)
"""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baseline as b  # noqa: E402

# [P1] Fig. 1 titles, σ² = 0.01 (papers.md §1.7).
PAPER_RATIO = {500: 0.5549, 1000: 0.6749, 4000: 0.8291}
# Iterations of the `local` rule to L ≤ 1e-24 that the paper's Fig. 1 allows, widened.
LOCAL_ITERS = {500: (20, 32), 1000: (16, 26), 4000: (11, 20)}


def small_problem(seed=0, h=7):
    """A tiny non-square problem (N = 6 > n = 4, m = 3): ℓ* > 0, general X."""
    return b.two_layer_problem(4, 3, h, 0.3, seed, 0.5, data="gaussian", samples=6)


# ---- gradients -------------------------------------------------------------------


def test_two_layer_gradient_matches_central_differences():
    p = small_problem()
    W1, W2 = p.W1, p.W2
    _, _, g1, g2, _ = b.two_layer_grad(p, W1, W2)
    rng = np.random.default_rng(1)
    eps = 1e-6
    for _ in range(5):  # random directions: ⟨∇L, V⟩ against (L(+εV) − L(−εV))/2ε
        V1, V2 = rng.standard_normal(W1.shape), rng.standard_normal(W2.shape)
        lp = b.two_layer_loss(p, (W1 + eps * V1) @ (W2 + eps * V2).T)
        lm = b.two_layer_loss(p, (W1 - eps * V1) @ (W2 - eps * V2).T)
        fd = (lp - lm) / (2 * eps)
        assert fd == pytest.approx(np.vdot(g1, V1) + np.vdot(g2, V2), rel=1e-7)


def test_lora_field_is_minus_gradient():
    p = b.lora_problem(m=5, n=4, h=8, r=2, alpha=0.3, init="small", seed=2)
    rng = np.random.default_rng(3)
    A1, B1, A2, B2 = (x + 0.2 * rng.standard_normal(x.shape) for x in p.adapters)
    _, dA1, dB1, dA2, dB2, _ = b.lora_field(p, A1, B1, A2, B2)
    loss = lambda a1, b1, a2, b2: b.lora_field(p, a1, b1, a2, b2)[0]
    eps = 1e-6
    V = [rng.standard_normal(x.shape) for x in (A1, B1, A2, B2)]
    X = (A1, B1, A2, B2)
    fd = (loss(*(x + eps * v for x, v in zip(X, V)))
          - loss(*(x - eps * v for x, v in zip(X, V)))) / (2 * eps)
    minus_grad = sum(np.vdot(g, v) for g, v in zip((dA1, dB1, dA2, dB2), V))
    assert fd == pytest.approx(-minus_grad, rel=1e-7)


# ---- building blocks ---------------------------------------------------------------


@pytest.mark.parametrize("a,bb,c", [(3.0, 0.0, 0.0), (1e3, 2e-2, 5e-6), (1.0, 5.0, 7.0),
                                    (2.0, 1e6, 1e9)])
def test_cubic_step_root_is_the_positive_root(a, bb, c):
    eta = b.cubic_step_root(a, bb, c)
    roots = np.roots([c, bb, a, -1.0]) if c else np.roots([bb, a, -1.0]) if bb else [1 / a]
    pos = [r.real for r in np.atleast_1d(roots) if abs(r.imag) < 1e-9 and r.real > 0]
    assert len(pos) == 1 and eta == pytest.approx(pos[0], rel=1e-12)
    assert eta * (a + bb * eta + c * eta * eta) == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("h", [5, 25, 60])
def test_imbalance_eigenvalues_without_forming_D(h):
    p = b.two_layer_problem(10, 8, h, 0.01, 4)
    dense = np.sort(np.linalg.eigvalsh(b.imbalance(p.W1, p.W2)))[::-1]
    assert np.allclose(b.imbalance_eigenvalues(p.W1, p.W2), dense, atol=1e-10 * dense[0])


# ---- imbalance: conserved by GF, drifts by η²[…] under GD (§1.3) -------------------


def test_gf_conserves_imbalance():
    p = small_problem(h=5)
    sol, W1, W2 = b.gf_two_layer(p, 2.0, rtol=1e-12, atol=1e-14)
    assert sol.success
    assert b.two_layer_loss(p, W1 @ W2.T) < 0.5 * b.two_layer_loss(p, p.W1 @ p.W2.T)
    D0 = b.imbalance(p.W1, p.W2)
    assert np.linalg.norm(b.imbalance(W1, W2) - D0) < 1e-9 * np.linalg.norm(D0)


def test_gd_drift_formula_and_drift_meter():
    p = small_problem(h=6)
    W1, W2 = p.W1, p.W2
    meter = b.DriftMeter(W1, W2)
    D0 = b.imbalance(W1, W2)
    for eta in (0.05, 0.01):
        _, G, g1, g2, _ = b.two_layer_grad(p, W1, W2)
        V1, V2 = W1 - eta * g1, W2 - eta * g2
        step = b.imbalance(V1, V2) - D0
        formula = eta ** 2 * (W2.T @ G.T @ G @ W2 - W1.T @ G @ G.T @ W1)
        assert np.allclose(step, formula, atol=1e-12 * np.linalg.norm(D0))
        assert meter(np.vstack([V1, V2])) == pytest.approx(np.linalg.norm(step), rel=1e-6)
    # and along a whole run, on the paper's setting with dense D at small width
    q = b.two_layer_problem(10, 10, 40, 0.1, 0)
    res = b.gd_two_layer(q, "fixed", 2e-3, max_iter=5, tol=0.0)
    W1, W2, dense = q.W1.copy(), q.W2.copy(), []
    D0 = b.imbalance(W1, W2)
    for _ in range(6):
        dense.append(np.linalg.norm(b.imbalance(W1, W2) - D0))
        _, _, g1, g2, _ = b.two_layer_grad(q, W1, W2)
        W1, W2 = W1 - 2e-3 * g1, W2 - 2e-3 * g2
    assert np.allclose(res["records"]["imbalance_drift"], dense, rtol=1e-6, atol=1e-12)


# ---- [P1] theory constants and the `local` rule on the paper's setting -------------


def test_reduced_coordinates_give_the_same_run():
    """GD on Z = BQ (reduced_problem) reproduces the h-wide run's records: B stays in
    B(0)'s row space (eq. 7–8), so only rounding separates the two."""
    p = b.two_layer_problem(10, 10, 300, 0.01, 3)
    th = b.theory_constants(p)
    full = b.gd_two_layer(p, "local", max_iter=40, tol=0.0, theory=th)
    red = b.gd_two_layer(b.reduced_problem(p), "local", max_iter=40, tol=0.0, theory=th)
    assert b.reduced_problem(p).W1.shape == (10, 20)
    for f in ("loss", "grad_norm", "step_size", "sigma_min2_T", "sigma_max2_T", "rho_t"):
        a, r = full["records"][f], red["records"][f]
        np.testing.assert_allclose(r, a, rtol=1e-8, atol=1e-10 * np.nanmax(np.abs(a)),
                                   err_msg=f)
    np.testing.assert_allclose(red["records"]["imbalance_drift"],
                               full["records"]["imbalance_drift"], rtol=1e-5, atol=1e-12)


def test_eta_max_roots():
    p = b.two_layer_problem(10, 10, 500, 0.01, 0)
    th = b.theory_constants(p)
    e1, e2 = th["eta1"], th["eta2"]
    assert e1 * b._K_bar(th, e1, 0, 0.5, 1.01) == pytest.approx(1.0, rel=1e-12)  # eq. 101
    assert abs(b._eq102_gap(th, e2, 0.5, 1.01)) < 1e-8 * th["mu"] * th["alpha1"]  # eq. 102
    assert b._eq102_gap(th, 0.5 * e2, 0.5, 1.01) > 0  # the smallest root
    assert th["eta_max"] == min(e1, e2, th["log_term"])
    assert th["eta_max_bound"] == "eta1"
    assert 0 < th["rho_bar0"] < 1 and th["mu_bar"] > 0


def _ratios(h, seeds=range(10), **kw):
    return [b.theory_constants(b.two_layer_problem(10, 10, h, 0.01, s), **kw)["ratio"]
            for s in seeds]


@pytest.mark.parametrize("h", [500, 1000, 4000])
def test_alpha_ratio_near_paper(h):
    """Printed formula (β2 with σ_max(W*)): within 0.05 of Fig. 1, and above it."""
    mean = np.mean(_ratios(h))
    assert abs(mean - PAPER_RATIO[h]) < 0.05
    assert mean > PAPER_RATIO[h]


@pytest.mark.parametrize("h", [500, 1000, 4000])
def test_alpha_ratio_frobenius_beta2_matches_paper_closely(h):
    """β2 with ‖W*‖_F reproduces the paper's numbers to ≈ 0.01 (see README)."""
    assert abs(np.mean(_ratios(h, beta2_norm="frobenius")) - PAPER_RATIO[h]) < 0.015


@pytest.mark.parametrize("h", [500, 1000, 4000])
def test_local_rule_iterations_and_bounds(h):
    lo, hi = LOCAL_ITERS[h]
    for seed in range(5):
        p = b.two_layer_problem(10, 10, h, 0.01, seed)
        res = b.gd_two_layer(p, "local", max_iter=50, tol=1e-24)
        rec = res["records"]
        assert res["status"] == "converged"
        assert lo <= res["iters_to_tol"] <= hi
        assert np.all(rec["loss"] <= rec["bound_local"])  # Π ρ bound (eq. 12)
        assert np.all(rec["bound_local"] <= rec["bound_global"] * (1 + 1e-12))
        assert np.all(rec["bound_global"] <= rec["bound_const"] * (1 + 1e-12))
        assert np.all(rec["step_size"][:-1] * rec["K_t"][:-1] <= 1 + 1e-12)
        assert np.all(np.diff(rec["loss"]) < 0)


def test_other_rules_and_statuses():
    p = b.two_layer_problem(10, 10, 500, 0.01, 1)
    th = b.theory_constants(p)
    assert b.gd_two_layer(p, "global", theory=th)["status"] == "converged"
    fixed = b.gd_two_layer(p, "fixed", th["eta_max"], theory=th)
    assert fixed["status"] == "converged"
    assert b.gd_two_layer(p, "fixed", 1e-2)["status"] == "diverged"
    short = b.gd_two_layer(p, "local", max_iter=3, theory=th)
    assert short["status"] == "max_iter" and short["iterations"] == 3
    # App. G.2.1 as printed: L − γ‖∇L‖² < 0 here (‖∇L‖² ≥ 2σ²_min(T) L), never satisfied
    bt = b.gd_two_layer(p, "backtracking", 1e-2, max_iter=5)
    assert bt["status"] == "numerical_failure" and bt["iterations"] == 0
    armijo = b.gd_two_layer(p, "backtracking", 1e-2, max_iter=20, bt_armijo=True)
    assert armijo["status"] == "max_iter" and np.all(np.diff(armijo["records"]["loss"]) < 0)


def test_serial_sweep():
    pts = b.sweep_points(3) + [{"model": "lora", "method": "gf", "horizon": 2.0,
                                "init": "spectral"}]
    res = b.serial_sweep(pts)
    assert [r["status"] for r in res] == ["max_iter", "converged", "max_iter", "max_iter"]
    assert all(r["final_loss"] < 1e-6 * r["loss0"] for r in res)  # spectral LoRA too


# ---- [P2] LoRA -------------------------------------------------------------------------


def test_lora_pretrained_factors():
    p = b.lora_problem(alpha=1e-3, seed=5)
    assert np.allclose(p.W2 @ p.W1, p.Y_pre, atol=1e-12)
    assert p.delta_w == pytest.approx(1 / 1.05 ** 2, rel=1e-12)
    assert np.allclose(p.W1 @ p.v / p.sigma_w1, p.g) and np.allclose(p.W2.T @ p.u / p.sigma_w2, p.g)
    assert math.log10(b.lora_field(p, *p.adapters)[0]) == pytest.approx(1.1, abs=0.01)


def test_lora_small_floor_falls_with_alpha_spectral_reaches_machine_precision():
    floors, plateaus = [], []
    for alpha in (1e-3, 1e-4, 1e-5):
        small = b.lora_gf(b.lora_problem(alpha=alpha, init="small", seed=0), t_end=5.0)
        spec = b.lora_gf(b.lora_problem(alpha=alpha, init="spectral", seed=0), t_end=5.0,
                         rtol=1e-13, atol=1e-16)
        floors.append(math.log10(small["final_loss"]))
        plateaus.append(small["align_plateau"])
        assert spec["final_loss"] < 1e-24
    # ≈ −12.5 / −16.3 / −20.2 in the paper: about four decades per decade of α
    assert np.all(np.diff(floors) < -3) and -14 < floors[0] < -10
    # 1 − |cos| ∝ α²: two decades per decade of α
    assert np.allclose(np.diff(plateaus), -2, atol=0.3)


def test_lora_gd_step_1e4_tracks_gf():
    p = b.lora_problem(alpha=1e-3, init="small", seed=0)
    gd = b.lora_gd(p, 1e-4, 6000)
    gf = b.lora_gf(p, t_end=0.6)
    assert gd["final_loss"] == pytest.approx(gf["final_loss"], rel=0.05)


def test_lora_scalar_dynamics_match_matrix_dynamics():
    p = b.lora_problem(alpha=1e-3, init="spectral", seed=6)
    eta, steps = 1e-3, 3000
    mat = b.lora_gd(p, eta, steps, record_every=50)
    scal = b.lora_scalar_gd(p, eta, steps)[mat["records"]["step"]]
    loss = mat["records"]["loss"]
    assert loss[-1] < 1e-24
    # compare residuals |e| = √(2L): the loss itself is only known to ~eps·|e|·‖Y‖
    err = np.abs(np.sqrt(2 * loss) - np.sqrt(2 * scal))
    assert np.all(err <= 1e-10 * np.sqrt(2 * loss) + 1e-13)
