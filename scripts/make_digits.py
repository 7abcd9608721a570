#!/usr/bin/python3
"""Builds a data file (lrsweep/datafile.h) from scikit-learn's bundled
handwritten digits (Debian's python3-sklearn; no download): a source task, a
pre-trained linear head W0 on it, and a shifted target task — the setting of
[P2] §5.2 (papers.md §4) on data that ships with Debian.

Tasks (documented in README, Data files):
  features  the 8×8 pixels scaled to [0, 1] (n = 64), 10 classes (m = 10);
            the 1797 images in scikit-learn's order, split by index:
            0..897 source, 898..1347 target training, 1348..1796 target test.
  source    the digit labels.  W0 (64×10) minimizes the ℓ2-regularized
            softmax cross-entropy (λ = --lam) on the source split, by SciPy's
            L-BFGS to a gradient norm below 1e-10 (the same loss lrsweep's
            `softmax` computes: mean cross-entropy + λ/2 ‖W‖²).
  target    the same images with two pairs of look-alike classes swapped
            (1 ↔ 7, 3 ↔ 8): the head must change on four classes, a low-rank
            update of W0, which is what LoRA's B·A can represent.

Datasets written: X, labels (target training), X_test, labels_test (target
test), W0, and X_source, labels_source (for the record; lrsweep ignores them);
root attributes `classes` = 10 and `doc`.  Prints the sizes to put in a sweep.

usage: make_digits.py [-o sweeps/data/digits.h5] [--lam 1e-3]
"""
import argparse

import h5py
import numpy as np
from scipy.optimize import minimize
from sklearn.datasets import load_digits

SWAP = {1: 7, 7: 1, 3: 8, 8: 3}


def softmax_loss(w, X, y, m, lam):
    W = w.reshape(X.shape[1], m)
    Z = X @ W
    zmax = Z.max(axis=1, keepdims=True)
    P = np.exp(Z - zmax)
    s = P.sum(axis=1, keepdims=True)
    N = X.shape[0]
    loss = np.mean(zmax[:, 0] + np.log(s[:, 0]) - Z[np.arange(N), y]) + 0.5 * lam * np.sum(W * W)
    P /= s
    P[np.arange(N), y] -= 1.0
    return loss, (X.T @ P / N + lam * W).ravel()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", default="sweeps/data/digits.h5")
    ap.add_argument("--lam", type=float, default=1e-3, help="λ of W0's training (default 1e-3)")
    a = ap.parse_args()
    d = load_digits()
    X = d.data / 16.0
    y = d.target.astype(np.int64)
    src, tr, te = slice(0, 898), slice(898, 1348), slice(1348, None)
    m = 10
    res = minimize(softmax_loss, np.zeros(64 * m), args=(X[src], y[src], m, a.lam), jac=True,
                   method="L-BFGS-B", options={"maxiter": 10000, "gtol": 1e-10, "ftol": 0})
    W0 = res.x.reshape(64, m)
    shift = np.array([SWAP.get(int(c), int(c)) for c in y], dtype=np.int64)
    with h5py.File(a.output, "w") as f:
        f["X"], f["labels"] = X[tr], shift[tr]
        f["X_test"], f["labels_test"] = X[te], shift[te]
        f["W0"] = W0
        f["X_source"], f["labels_source"] = X[src], y[src]
        f.attrs["classes"] = np.int64(m)
        f.attrs["doc"] = ("scikit-learn digits, pixels/16; W0: softmax head trained on the source "
                          "split (labels); target: labels with 1<->7 and 3<->8 swapped "
                          "(scripts/make_digits.py)")
    acc = lambda Xs, ys: float(np.mean(np.argmax(Xs @ W0, axis=1) == ys))
    print(f"{a.output}: samples = {tr.stop - tr.start}, input_dim = 64, output_dim = {m}; "
          f"W0 source accuracy {acc(X[src], y[src]):.3f}, on the target task "
          f"{acc(X[tr], shift[tr]):.3f} (train) {acc(X[te], shift[te]):.3f} (test)")


if __name__ == "__main__":
    main()
