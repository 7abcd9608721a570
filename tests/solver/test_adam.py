#!/usr/bin/python3
"""method = "adam" (papers.md §4) on every model, against an independent NumPy
Adam from each point's dump (TAP).

usage: test_adam.py LRSWEEP
"""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Scratch, Tap  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok


def adam(params, grad_fn, loss_fn, lr, b1, b2, eps, steps):
    """Kingma & Ba, as papers.md §4 writes it; returns the losses at t = 0..steps."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses = [loss_fn(params)]
    for t in range(1, steps + 1):
        g = grad_fn(params)
        m = [b1 * a + (1 - b1) * x for a, x in zip(m, g)]
        v = [b2 * a + (1 - b2) * x * x for a, x in zip(v, g)]
        params = [p - lr * (a / (1 - b1 ** t)) / (np.sqrt(c / (1 - b2 ** t)) + eps)
                  for p, a, c in zip(params, m, v)]
        losses.append(loss_fn(params))
    return losses


BASE = """
[problem]
input_dim = 5
output_dim = 3
samples = 9
data = "gaussian"
width = 7
init_scale = 0.5
sigma2 = 0.1
[solver]
method = "adam"
step_size = 0.02
adam_beta1 = 0.85
adam_beta2 = 0.99
adam_eps = 1e-6
max_iter = 30
tol = 0.0
"""
STEPS, LR, B1, B2, EPS = 30, 0.02, 0.85, 0.99, 1e-6

with tempfile.TemporaryDirectory() as tmp:
    lrs = Scratch(LRSWEEP, tmp)

    def solve(text, name):
        """(trajectory, summary, dump) of point 0 of `text`; (None, None, stderr) when it fails."""
        p = lrs.solve(name + ".toml", text)
        return (p.traj, p.summary, p.dump) if p.traj is not None else (None, None, p.result.stderr)

    def compare(traj, s, ref, what):
        full = traj["loss"] + (float(s["loss_star"]) if s.get("loss_star", "nan") != "nan" else 0.0)
        ok = len(full) == STEPS + 1
        rel = np.max(np.abs(np.array(ref) - full) / np.array(ref)) if ok else np.inf
        # Adam divides by √v̂: rounding in small gradient entries is amplified,
        # so 1e-9 (as tests/cli/test_rerun_dump.py's GD), not the last bits.
        check(rel < 1e-9, f"{what}: NumPy Adam's losses over {STEPS} steps match to {rel:.1e}")
        check(ok and np.all(traj["step_size"][:-1] == LR), f"{what}: the recorded step is the learning rate")

    # two_layer, squared loss: θ = (W1, W2), ∇ℓ(W) = Xᵀ(XW − Y) (papers.md §1.2).
    traj, s, M = solve(BASE, "tl")
    if traj is None:
        check(False, f"two_layer adam runs: {M}")
    else:
        X, Y = M["X"], M["Y"]

        def loss(p):
            R = X @ p[0] @ p[1].T - Y
            return 0.5 * np.sum(R * R)

        def grad(p):
            G = X.T @ (X @ p[0] @ p[1].T - Y)
            return [G @ p[1], G.T @ p[0]]
        compare(traj, s, adam([M["W1"], M["W2"]], grad, loss, LR, B1, B2, EPS, STEPS), "two_layer")
        # The first step is −lr·g/(|g| + ε): every entry moves by lr up to ε.
        g = grad([M["W1"], M["W2"]])
        step = [LR * x / (np.abs(x) + EPS) for x in g]
        check(all(np.all(np.abs(np.abs(d) - LR) <= LR * EPS / np.abs(x).clip(1e-300)) for d, x in zip(step, g)),
              "hand-derived first step: −lr·sign(g) up to ε")
        one = adam([M["W1"], M["W2"]], grad, loss, LR, B1, B2, EPS, 1)
        check(abs(one[1] - loss([M["W1"] - step[0], M["W2"] - step[1]])) <= 1e-13 * one[1],
              "NumPy's first Adam step is that step")

    # reference: θ = W.
    traj, s, M = solve(BASE.replace("[problem]", '[problem]\nmodel = "reference"'), "ref")
    if traj is None:
        check(False, f"reference adam runs: {M}")
    else:
        X, Y = M["X"], M["Y"]
        ref = adam([M["W"]], lambda p: [X.T @ (X @ p[0] - Y)],
                   lambda p: 0.5 * np.sum((X @ p[0] - Y) ** 2), LR, B1, B2, EPS, STEPS)
        compare(traj, s, ref, "reference")

    # two_layer with softmax cross-entropy (λ‖W‖²/2 on the product, papers.md §4).
    traj, s, M = solve(BASE.replace('sigma2 = 0.1', 'sigma2 = 0.1\nloss = "softmax"\nlogistic_lambda = 0.05'), "sm")
    if traj is None:
        check(False, f"softmax adam runs: {M}")
    else:
        X, Y, lam = M["X"], M["Y"], 0.05
        c = np.argmax(Y, axis=1)
        N = X.shape[0]

        def sm_loss(p):
            Z = X @ p[0] @ p[1].T
            zmax = Z.max(axis=1, keepdims=True)
            lse = (zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1)))
            W = p[0] @ p[1].T
            return np.mean(lse - Z[np.arange(N), c]) + 0.5 * lam * np.sum(W * W)

        def sm_grad(p):
            W = p[0] @ p[1].T
            Z = X @ W
            P = np.exp(Z - Z.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            P[np.arange(N), c] -= 1.0
            G = X.T @ P / N + lam * W
            return [G @ p[1], G.T @ p[0]]
        compare(traj, s, adam([M["W1"], M["W2"]], sm_grad, sm_loss, LR, B1, B2, EPS, STEPS), "two_layer softmax")

    # lora: θ = (A1, B1, A2, B2), papers.md §2.1.
    lora = BASE.replace("[problem]", '[problem]\nmodel = "lora"\nlora_rank = 2\ninit = "small"') \
               .replace('data = "gaussian"\n', '').replace('samples = 9\n', '').replace('width = 7', 'width = 12')
    traj, s, M = solve(lora, "lora")
    if traj is None:
        check(False, f"lora adam runs: {M}")
    else:
        W1, W2, dY = M["W1"], M["W2"], M["dY"]

        def err(p):
            A1, B1, A2, B2 = p
            P1, P2 = W1 + B1 @ A1, W2 + B2 @ A2
            return P1, P2, dY - (P2 @ P1 - W2 @ W1)

        def l_loss(p):
            return 0.5 * np.sum(err(p)[2] ** 2)

        def l_grad(p):
            A1, B1, A2, B2 = p
            P1, P2, E = err(p)
            return [-(B1.T @ P2.T @ E), -(P2.T @ E @ A1.T), -(B2.T @ E @ P1.T), -(E @ P1.T @ A2.T)]
        compare(traj, s, adam([M["A1"], M["B1"], M["A2"], M["B2"]], l_grad, l_loss, LR, B1, B2, EPS, STEPS), "lora")

    # Its parameters are grid axes; a missing learning rate is refused at its line.
    lrs.write("ax.toml", BASE.replace("adam_beta1 = 0.85\nadam_beta2 = 0.99\nadam_eps = 1e-6\n", "")
              + '[grid]\nadam_beta1 = [0.0, 0.9]\nadam_beta2 = [0.9, 0.999]\nadam_eps = [1e-8, 1e-3]\n')
    r = lrs.run("points", "ax.toml")
    check(r.returncode == 0 and len(r.stdout.strip().splitlines()) == 1 + 8 and "adam_eps=0.001" in r.stdout,
          f"adam_beta1, adam_beta2, adam_eps are axes ({r.stderr.strip()})")
    lrs.write("nolr.toml", BASE.replace("step_size = 0.02\n", ""))
    r = lrs.run("plan", "nolr.toml")
    check(r.returncode == 2 and "needs step_size" in r.stderr and r.stderr.count("\n") == 1,
          f"adam without step_size: one line, exit 2 ({r.stderr.strip()})")
    lrs.write("b1.toml", BASE.replace("adam_beta1 = 0.85", "adam_beta1 = 1.0"))
    r = lrs.run("plan", "b1.toml")
    check(r.returncode == 2 and "adam_beta1" in r.stderr, f"adam_beta1 = 1 refused ({r.stderr.strip()})")

sys.exit(tap.done())
