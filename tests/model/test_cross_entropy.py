#!/usr/bin/python3
"""The two loss readings of a lora_head point (papers.md §4, [P2] §5.2), against an
independent NumPy computation from the point's dump (TAP): GD with a fixed step is
replayed in NumPy from the dumped X, Y, X_test, Y_test, W0, A, B; at every record the
stored plain cross-entropies equal (1/N)Σ_i [logsumexp(z_i) − z_{i,c_i}] of W_t on each
split, and the objective (loss + loss_star, test_loss) less the plain cross-entropy is
(λ/2)‖W_t‖².  Models without the columns leave them NaN.

usage: test_cross_entropy.py LRSWEEP
"""
import os
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Scratch, Tap  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok
LAM, ETA, STEPS = 0.05, 0.4, 25

SWEEP = f"""
[problem]
model = "lora_head"
data = "file"
data_file = "data.h5"
samples = 40
input_dim = 7
output_dim = 4
lora_rank = 2
init = "small"
init_scale = 0.6
loss = "softmax"
logistic_lambda = {LAM}
[solver]
method = "gd"
step_rule = "fixed"
step_size = {ETA}
max_iter = {STEPS}
tol = 0.0
record_every = 1
"""


def cross_entropy(X, Y, W):
    """(1/N) Σ_i [logsumexp(z_i) − z_{i,c_i}], z_i = x_iᵀW, c_i = argmax_j Y_ij."""
    Z = X @ W
    zmax = Z.max(axis=1)
    lse = zmax + np.log(np.exp(Z - zmax[:, None]).sum(axis=1))
    return float(np.mean(lse - Z[np.arange(len(Z)), np.argmax(Y, axis=1)]))


def gd(M, steps):
    """W_t, t = 0..steps, of GD on (A, B) for ℓ(W0 + AᵀBᵀ) = CE + (λ/2)‖W‖²
    (lrsweep/lora_head.h: ∇_A = BᵀGᵀ, ∇_B = GᵀAᵀ, G = ∇ℓ(W))."""
    X, Y, W0, A, B = M["X"], M["Y"], M["W0"], M["A"].copy(), M["B"].copy()
    N = len(X)
    out = []
    for _ in range(steps + 1):
        W = W0 + A.T @ B.T
        out.append(W)
        Z = X @ W
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        G = X.T @ (P - Y) / N + LAM * W
        A, B = A - ETA * (B.T @ G.T), B - ETA * (G.T @ A.T)
    return out


with tempfile.TemporaryDirectory() as tmp:
    rng = np.random.default_rng(11)
    X = rng.standard_normal((40, 7))
    W0 = 1.5 * rng.standard_normal((7, 4))
    lab = np.argmax(X @ W0 + rng.standard_normal((40, 4)), axis=1)
    lab[rng.permutation(40)[:8]] = rng.integers(0, 4, 8)  # a shifted task: W0 is not its optimum
    Xt = rng.standard_normal((15, 7))
    with h5py.File(os.path.join(tmp, "data.h5"), "w") as f:
        f["X"], f["labels"], f["W0"] = X, lab, W0
        f["X_test"], f["labels_test"] = Xt, np.argmax(Xt @ W0, axis=1)
    lrs = Scratch(LRSWEEP, tmp)
    p = lrs.solve("head.toml", SWEEP, dump="dump.h5")
    if not check(p.traj is not None, f"the lora_head point runs {p.result.stderr.strip()}"):
        sys.exit(tap.done())
    tr, M = p.traj, p.dump
    # The same point into a store (one process): its records hold the same bits,
    # and its loss_star all of them (`run` prints 10 digits).
    r = lrs.run("head.toml", "--quiet")
    with h5py.File(os.path.join(tmp, "head.h5"), "r") as f:
        g = f["sweeps/head"]
        row = g["points"][0]
        stored = g["trajectories"][row["traj_offset"]:row["traj_offset"] + row["traj_count"]]
    star = float(row["loss_star"])
    check(r.returncode == 0 and all(np.array_equal(stored[c], tr[c], equal_nan=True) for c in
                                    ("loss", "test_loss", "train_cross_entropy", "test_cross_entropy")),
          f"the store's records are the run's, the two cross-entropy columns included {r.stderr.strip()}")
    Ws = gd(M, STEPS)
    n = len(tr["step"])
    check(n == STEPS + 1 and np.array_equal(tr["step"], np.arange(STEPS + 1)),
          f"a record at every step 0..{STEPS} ({n} records)")
    ce = np.array([cross_entropy(M["X"], M["Y"], W) for W in Ws[:n]])
    ce_t = np.array([cross_entropy(M["X_test"], M["Y_test"], W) for W in Ws[:n]])
    ridge = np.array([0.5 * LAM * np.sum(W * W) for W in Ws[:n]])
    objective = tr["loss"] + star
    # W_0 = W0 exactly (B = 0), later W_t from NumPy's GD: agreement to rounding.
    e0 = abs(tr["train_cross_entropy"][0] - ce[0]) / ce[0]
    check(e0 < 1e-14, f"record 0 (W = W0): train_cross_entropy {tr['train_cross_entropy'][0]:.15f} "
          f"= NumPy's cross-entropy to {e0:.1e}")
    e = np.max(np.abs(tr["train_cross_entropy"] - ce) / ce)
    et = np.max(np.abs(tr["test_cross_entropy"] - ce_t) / ce_t)
    check(e < 1e-12 and et < 1e-12, f"every record: train/test_cross_entropy = NumPy's "
          f"logsumexp − z_c, averaged, at W_t to {e:.1e} / {et:.1e}")
    d = np.max(np.abs(objective - tr["train_cross_entropy"] - ridge) / objective)
    dt = np.max(np.abs(tr["test_loss"] - tr["test_cross_entropy"] - ridge) / tr["test_loss"])
    check(d < 1e-12 and dt < 1e-12, f"objective − cross-entropy = (λ/2)‖W_t‖² (NumPy) to "
          f"{d:.1e} (train: loss + loss_star) / {dt:.1e} (test: test_loss)")
    check(np.all(ridge > 0.1 * ce) and ce[-1] < ce[0],
          f"the λ term is not negligible (λ/2‖W‖² {ridge[0]:.3f} … {ridge[-1]:.3f} beside "
          f"cross-entropy {ce[0]:.3f} … {ce[-1]:.3f}), and the cross-entropy falls")
    check(np.all(tr["train_acc"] == [np.mean(np.argmax(M["X"] @ W, 1) == np.argmax(M["Y"], 1))
                                     for W in Ws[:n]]),
          "(the replay is the run: train_acc agrees at every record)")

    # Without a test split: the test columns NaN, the training one recorded.
    with h5py.File(os.path.join(tmp, "data.h5"), "a") as f:
        del f["X_test"], f["labels_test"]
    p = lrs.solve("notest.toml", SWEEP)
    check(p.traj is not None and np.all(np.isnan(p.traj["test_cross_entropy"]))
          and np.all(np.isnan(p.traj["test_loss"])) and np.all(np.isfinite(p.traj["train_cross_entropy"])),
          "no test split: test_loss and test_cross_entropy NaN, train_cross_entropy recorded")

    # two_layer with the softmax loss has no classifier records (NaN), as train_acc.
    p = lrs.solve("tl.toml", """
[problem]
input_dim = 4
output_dim = 3
samples = 9
data = "gaussian"
width = 6
loss = "softmax"
[solver]
max_iter = 3
""")
    check(p.traj is not None and np.all(np.isnan(p.traj["train_cross_entropy"]))
          and np.all(np.isnan(p.traj["train_acc"])),
          "two_layer softmax: train_cross_entropy NaN, as train_acc (lora_head's records)")

sys.exit(tap.done())
