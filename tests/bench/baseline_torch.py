#!/usr/bin/python3
"""The `local`-rule GD baseline of baseline.py written with PyTorch (Debian's
python3-torch, CPU, float64, one thread): what a researcher who prefers PyTorch writes.

usage: baseline_torch.py gd [--h H] [--iters T] [--tol TOL] [--seed S] [--sigma2 S2]
       baseline_torch.py sweep [--points P] [--n N] [--widths H,H] [--iters T]

Same problem (baseline.two_layer_problem, NumPy's draws), same [P1] constants
(baseline.theory_constants, computed before the clock starts, as in baseline.py's
`seconds_per_iteration`), same loop as baseline.gd_two_layer with step_rule="local":
per iteration one Gram MMᵀ, the loss and gradient, the two Gram eigenvalue pairs and
σ_max(W), the drift ‖D(t) − D(0)‖ from the small Gram of [M0; M − M0], the step of
§1.6 and the bound products. Prints one JSON object: seconds_per_iteration, iterations,
final_loss, and max_rel_diff_vs_numpy — the largest relative difference of its loss
records from baseline.gd_two_layer's on the same problem (records above 1e-10·L0), a
check that both loops compute the same thing.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baseline as b  # noqa: E402


def gd_local_torch(p, theory, max_iter, tol=0.0, c=0.5, d=1.01):
    """baseline.gd_two_layer(p, "local", ...) in torch: iterations, seconds and the
    loss, ‖∇L‖ and drift records."""
    torch.set_num_threads(1)
    t64 = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))
    X, Y = t64(p.X), t64(p.Y)
    n, m = p.W1.shape[0], p.W2.shape[0]
    M = t64(np.vstack([p.W1, p.W2])).clone()
    M0 = M.clone()
    k = n + m
    s = torch.cat([torch.ones(n, dtype=torch.float64), -torch.ones(m, dtype=torch.float64)])
    N = torch.zeros(2 * k, 2 * k, dtype=torch.float64)  # DriftMeter's N = [[0, S], [S, S]]
    N[:k, k:] = torch.diag(s)
    N[k:, :k] = torch.diag(s)
    N[k:, k:] = torch.diag(s)
    G00 = M0 @ M0.T
    eta0, mu_bar, rho_bar0 = theory["eta0"], theory["mu_bar"], theory["rho_bar0"]
    mu, K = p.mu, p.K
    losses, gnorms, drifts = [], [], []
    b_loc = b_glob = 1.0
    t0 = time.perf_counter()
    for t in range(max_iter + 1):
        gram = M @ M.T
        W = gram[:n, n:]
        R = X @ W - Y
        L = float(0.5 * (R * R).sum())
        G = X.T @ R
        grad = torch.cat([G @ M[n:], G.T @ M[:n]])
        gn2 = float((grad * grad).sum())
        e1 = torch.linalg.eigvalsh(gram[:n, :n])
        e2 = torch.linalg.eigvalsh(gram[n:, n:])
        smin2 = max(float(e1[0]), 0.0) + max(float(e2[0]), 0.0)
        smax2 = float(e1[-1]) + float(e2[-1])
        smax_W = float(torch.linalg.matrix_norm(W, 2))
        delta = M - M0
        cross = M0 @ delta.T
        A = N @ torch.cat([torch.cat([G00, cross], 1), torch.cat([cross.T, delta @ delta.T], 1)])
        drifts.append(math.sqrt(max(float((A * A.T).sum()), 0.0)))
        losses.append(L)
        gnorms.append(math.sqrt(gn2))
        if L <= tol or t == max_iter or not math.isfinite(L):
            break
        rt = math.sqrt(2.0 * K * L)
        inv_K = b.cubic_step_root(K * smax2 + rt, 3.0 * K * smax2 * rt, 6.0 * K * K * smax_W * L)
        eta = min((1.0 + eta0 ** d) ** (t / 2.0) * eta0, inv_K)
        Kt = b.local_K(K, smax2, smax_W, L, eta)
        b_loc *= 1.0 - 2.0 * mu * smin2 * eta + mu * smin2 * Kt * eta * eta
        b_glob *= b._rho_bar(mu_bar, b._K_bar(theory, eta0, t, c, d, rho_bar0), eta)
        M -= eta * grad
    seconds = time.perf_counter() - t0
    return {"iterations": t, "seconds": seconds, "losses": np.array(losses),
            "grad_norms": np.array(gnorms), "drifts": np.array(drifts)}


def gd_local_batched(problems, thetas, max_iter, tol=0.0, d=1.01):
    """All the points of one shape advanced together: the `local` rule of
    gd_local_torch on B stacked problems (B×k×h weights, batched Gram, eigvalsh and
    σ_max, the step root by a batched Newton), a point's step set to 0 once its
    loss is ≤ tol, non-finite or its iterations are done.  The loss records (B×T)."""
    t64 = lambda arrs: torch.from_numpy(np.ascontiguousarray(np.stack(arrs), dtype=np.float64))
    X = t64([p.X for p in problems])
    Y = t64([p.Y for p in problems])
    M = t64([np.vstack([p.W1, p.W2]) for p in problems])
    n = problems[0].W1.shape[0]
    eta0 = torch.tensor([th["eta0"] for th in thetas], dtype=torch.float64)
    K = torch.tensor([p.K for p in problems], dtype=torch.float64)
    active = torch.ones(len(problems), dtype=torch.bool)
    losses = []
    for t in range(max_iter + 1):
        gram = M @ M.mT
        W = gram[:, :n, n:]
        R = X @ W - Y
        L = 0.5 * (R * R).sum((1, 2))
        losses.append(L)
        active &= (L > tol) & torch.isfinite(L)
        if t == max_iter or not bool(active.any()):
            break
        G = X.mT @ R
        grad = torch.cat([G @ M[:, n:], G.mT @ M[:, :n]], 1)
        e1 = torch.linalg.eigvalsh(gram[:, :n, :n])
        e2 = torch.linalg.eigvalsh(gram[:, n:, n:])
        smax2 = e1[:, -1] + e2[:, -1]
        smax_W = torch.linalg.matrix_norm(W, 2)
        rt = torch.sqrt(2.0 * K * L)
        a, b2, c3 = K * smax2 + rt, 3.0 * K * smax2 * rt, 6.0 * K * K * smax_W * L
        inv_K = 1.0 / a  # Newton from 1/a, monotone (baseline.cubic_step_root)
        for _ in range(60):
            f = ((c3 * inv_K + b2) * inv_K + a) * inv_K - 1.0
            step = f / ((3.0 * c3 * inv_K + 2.0 * b2) * inv_K + a)
            inv_K = inv_K - step
            if bool((step <= 4e-16 * inv_K).all()):
                break
        eta = torch.minimum((1.0 + eta0 ** d) ** (t / 2.0) * eta0, inv_K)
        eta = torch.where(active, eta, torch.zeros_like(eta))
        M = M - eta[:, None, None] * grad
    return torch.stack(losses, 1)


def sweep(points, n, widths, iters, seed=0, sigma2s=(0.01, 1.0), tol=1e-24):
    """The 200-point sweep's grid (baseline.sweep_points: widths × σ² × replicates,
    `local` rule) or any n: problems and [P1] constants per point (NumPy, as
    baseline.py), then the iterations of each width's points batched.  Wall seconds
    of the whole, problems and constants included (lrsweep's points include them)."""
    torch.set_num_threads(1)
    grid = [(widths[i % len(widths)], sigma2s[(i // len(widths)) % len(sigma2s)],
             seed + i // (len(widths) * len(sigma2s))) for i in range(points)]
    t0 = time.perf_counter()
    out = {}
    for h in widths:
        mine = [(s2, sd) for (hh, s2, sd) in grid if hh == h]
        probs = [b.two_layer_problem(n, n, h, s2, sd, 1.0) for s2, sd in mine]
        ths = [b.theory_constants(p) for p in probs]
        out[h] = (probs, ths, gd_local_batched(probs, ths, iters, tol))
    seconds = time.perf_counter() - t0
    # Check: two points of each width against baseline.py's loop (same algorithm).
    diff = 0.0
    for h, (probs, ths, losses) in out.items():
        for j in (0, len(probs) - 1):
            ref = b.gd_two_layer(probs[j], "local", ths[j]["eta0"], iters, tol,
                                 theory=ths[j])["records"]["loss"]
            got = losses[j, : ref.size].numpy()
            keep = ref > 1e-10 * ref[0]
            diff = max(diff, float(np.max(np.abs(got[keep] - ref[keep]) / ref[keep])))
    return {"points": points, "n": n, "widths": list(widths), "iterations": iters,
            "seconds": seconds, "points_per_second": points / seconds,
            "max_rel_diff_vs_numpy": diff, "torch": torch.__version__,
            "threads": torch.get_num_threads()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gd")
    g.add_argument("--h", type=int, default=500)
    g.add_argument("--iters", type=int, default=50)
    g.add_argument("--tol", type=float, default=0.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--sigma2", type=float, default=0.01)
    w = sub.add_parser("sweep")
    w.add_argument("--points", type=int, default=200)
    w.add_argument("--n", type=int, default=10)
    w.add_argument("--widths", default="100,400")
    w.add_argument("--iters", type=int, default=30)
    a = ap.parse_args(argv)
    if a.cmd == "sweep":
        print(json.dumps(sweep(a.points, a.n, [int(x) for x in a.widths.split(",")], a.iters)))
        return
    p = b.two_layer_problem(10, 10, a.h, a.sigma2, a.seed, 1.0)
    if p.loss_star > 0.0:
        raise SystemExit("baseline_torch.py: the paper setting (ℓ* = 0) only")
    th = b.theory_constants(p)
    res = gd_local_torch(p, th, a.iters, a.tol)
    ref = b.gd_two_layer(p, "local", th["eta0"], a.iters, a.tol, theory=th)["records"]["loss"]
    ours = res["losses"]
    keep = ref[: ours.size] > 1e-10 * ref[0]
    diff = float(np.max(np.abs(ours[: ref.size][keep] - ref[keep]) / ref[keep]))
    print(json.dumps({"h": a.h, "iterations": res["iterations"],
                      "seconds_per_iteration": res["seconds"] / max(res["iterations"], 1),
                      "final_loss": float(ours[-1]), "max_rel_diff_vs_numpy": diff,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
