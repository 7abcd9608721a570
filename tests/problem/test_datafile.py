#!/usr/bin/python3
"""data = "file" (lrsweep/datafile.h): validation before any point runs, the
file's SHA-256 in the store, and a point dump fed back as a data file, redone
with NumPy (TAP).

usage: test_datafile.py LRSWEEP
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Scratch, Tap  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok


CLASSIFY = """
[sweep]
name = "df"
[problem]
data = "file"
data_file = "data/{file}"
samples = 40
input_dim = 6
output_dim = 3
width = 8
init_scale = 0.3
loss = "softmax"
[solver]
step_rule = "fixed"
step_size = 0.1
max_iter = 10
"""

with tempfile.TemporaryDirectory() as tmp:
    lrs = Scratch(LRSWEEP, tmp)
    os.makedirs(os.path.join(tmp, "sweeps", "data"))
    data = os.path.join(tmp, "sweeps", "data")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 6))
    lab = rng.integers(0, 3, 40)
    lab[:3] = [0, 1, 2]

    def write(name, **ds):
        with h5py.File(os.path.join(data, name), "w") as f:
            for k, v in ds.items():
                if v is not None:
                    f[k] = v
        return lrs.write(os.path.join("sweeps", name.replace(".h5", ".toml")), CLASSIFY.format(file=name))

    good = write("good.h5", X=X, labels=lab, X_test=X[:7], labels_test=lab[:7])
    r = lrs.run("plan", good)
    check(r.returncode == 0, f"a valid data file plans, resolved against the sweep file's directory ({r.stderr.strip()})")

    Xnan = X.copy()
    Xnan[5, 1] = np.inf
    bad = {
        "no_x.h5": (dict(labels=lab), "dataset X"),
        "no_targets.h5": (dict(X=X), "dataset Y"),
        "both.h5": (dict(X=X, Y=np.eye(3)[lab], labels=lab), "datasets Y and labels"),
        "rows.h5": (dict(X=X, labels=lab[:39]), "dataset labels"),
        "rank.h5": (dict(X=X[:, 0], labels=lab), "dataset X"),
        "inf.h5": (dict(X=Xnan, labels=lab), "dataset X"),
        "ytype.h5": (dict(X=X, labels=lab.astype(float)), "dataset labels"),
        "xtype.h5": (dict(X=X.astype(np.int32), labels=lab), "dataset X"),
        "strtype.h5": (dict(X=np.array([b"a"] * 40), labels=lab), "dataset X"),
        "label_range.h5": (dict(X=X, labels=lab - 1), "dataset labels"),
        "test_cols.h5": (dict(X=X, labels=lab, X_test=X[:7, :5], labels_test=lab[:7]), "dataset X_test"),
        "test_alone.h5": (dict(X=X, labels=lab, labels_test=lab[:7]), "dataset X_test"),
        "w0.h5": (dict(X=X, labels=lab, W0=np.zeros((3, 6))), "dataset W0"),
    }
    for name, (ds, where) in bad.items():
        sw = write(name, **ds)
        for cmd in (("plan", sw), ("run", sw, "--point", "0"), (sw, "--quiet")):
            r = lrs.run(*cmd)
            lines = r.stderr.strip().splitlines()
            check(r.returncode == 2 and len(lines) == 1 and f"{name}: {where}" in lines[0]
                  and not os.path.exists(os.path.join(tmp, "df.h5")),
                  f"{cmd[0]}: {name}: one line naming file and dataset, exit 2, nothing run "
                  f"({r.returncode}: {r.stderr.strip()})")
    not_h5 = os.path.join(data, "text.h5")
    open(not_h5, "w").write("not hdf5\n")
    lrs.write("sweeps/text.toml", CLASSIFY.format(file="text.h5"))
    r = lrs.run("plan", "sweeps/text.toml")
    check(r.returncode == 2 and "text.h5: not an HDF5 file" in r.stderr, f"a non-HDF5 file: {r.stderr.strip()}")
    r = lrs.run("plan", "sweeps/missing.toml")  # no sweep file at all: unrelated
    lrs.write("sweeps/dims.toml",
        CLASSIFY.format(file="good.h5").replace("input_dim = 6", "input_dim = 5"))
    r = lrs.run("plan", "sweeps/dims.toml")
    check(r.returncode == 2 and "dataset X is 40×6 with 3 classes" in r.stderr and "input_dim = 5" in r.stderr,
          f"sizes that disagree with the file: {r.stderr.strip()}")
    for text, what in ((CLASSIFY.format(file="good.h5").replace('data = "file"\n', ""), "data_file without data = file"),
                       (CLASSIFY.format(file="good.h5").replace('data_file = "data/good.h5"\n', ""), "data = file without data_file"),
                       (CLASSIFY.format(file="good.h5").replace('data = "file"\n', "") + '[grid]\ndata = ["file", "gaussian"]\n', "file as an axis value"),
                       (CLASSIFY.format(file="good.h5").replace('width = 8', 'width = 8\nmodel = "lora"\ninit = "small"').replace('loss = "softmax"', ''), "lora with a data file"),
                       (CLASSIFY.format(file="good.h5").replace('loss = "softmax"', 'loss = "sensing"'), "sensing with a data file")):
        lrs.write("sweeps/c.toml", text)
        r = lrs.run("plan", "sweeps/c.toml")
        check(r.returncode == 2 and r.stderr.count("\n") == 1 and "sweeps/c.toml:" in r.stderr,
              f"{what}: refused at its line ({r.stderr.strip()})")

    # The main job stores the file's SHA-256 and resolved path with every point.
    r = lrs.run(good, "--quiet")
    sha = hashlib.sha256(open(os.path.join(data, "good.h5"), "rb").read()).hexdigest()
    with h5py.File(os.path.join(tmp, "df.h5"), "r") as f:
        pts = f["sweeps/df/points"][...]
    check(r.returncode == 0 and pts["data_sha256"][0].decode() == sha
          and pts["data_file"][0].decode() == "sweeps/data/good.h5",
          f"the store holds data_sha256 = hashlib's and the resolved data_file ({r.stderr.strip()})")

    # rerun resolves data_file against the sweep file the run read (its
    # sweep_source), and its comparison sees a changed file in data_sha256.
    r = lrs.run("rerun", "df.h5", "--point", "0")
    check(r.returncode == 0 and "identical" in r.stdout, f"rerun of a data-file point: identical ({r.stdout.strip().splitlines()[-1:]}{r.stderr.strip()})")
    with h5py.File(os.path.join(data, "good.h5"), "a") as f:
        f.attrs["edited"] = 1
    r = lrs.run("rerun", "df.h5", "--point", "0")
    check(r.returncode == 1 and "data_sha256" in r.stdout, f"rerun after the data file changed: differs in data_sha256 ({r.stdout.strip().splitlines()[-1:]}{r.stderr.strip()})")

    # Round trip: a generated point's dump is a data file; the point read back
    # from it sees the same X and Y, and NumPy's GD from its own dump agrees.
    gen = """
[problem]
data = "gaussian"
samples = 9
input_dim = 5
output_dim = 3
width = 12
init_scale = 0.4
sigma2 = 0.1
[solver]
step_rule = "fixed"
step_size = 0.01
max_iter = 25
tol = 0.0
"""
    lrs.write("gen.toml", gen)
    r = lrs.run("run", "gen.toml", "--point", "0", "--dump", "sweeps/data/dump1.h5")
    check(r.returncode == 0, f"a generated point dumps ({r.stderr.strip()})")
    back = gen.replace('data = "gaussian"', 'data = "file"\ndata_file = "data/dump1.h5"')
    p = lrs.solve("sweeps/back.toml", back, dump="dump2.h5")
    check(p.traj is not None, f"the dump runs as a data file ({p.result.stderr.strip()})")
    with h5py.File(os.path.join(tmp, "sweeps/data/dump1.h5"), "r") as a:
        same = all(np.array_equal(a[n][...], p.dump[n]) for n in ("X", "Y"))
    X2, Y2, W1, W2 = (p.dump[n] for n in ("X", "Y", "W1", "W2"))
    check(same, "X and Y read back from the dump are bit for bit the dumped ones")
    s = p.summary
    check(s.get("data_sha256") == hashlib.sha256(open(os.path.join(tmp, "sweeps/data/dump1.h5"), "rb").read()).hexdigest(),
          "run prints the dump's SHA-256")
    traj = p.traj
    losses = []
    for _ in range(26):
        R = X2 @ (W1 @ W2.T) - Y2
        losses.append(0.5 * np.sum(R * R))
        G = X2.T @ R
        W1, W2 = W1 - 0.01 * G @ W2, W2 - 0.01 * G.T @ W1
    full = traj["loss"] + float(s.get("loss_star", "nan"))
    rel = np.max(np.abs(np.array(losses) - full) / np.array(losses)) if len(full) == 26 else np.inf
    check(rel < 1e-10, f"GD on the data file's X, Y matches NumPy (max rel {rel:.2e})")

    # scripts/make_digits.py: Debian's scikit-learn digits as a data file.
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "make_digits.py")
    r = subprocess.run([script, "-o", os.path.join(data, "digits.h5")], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0 and "samples = 450, input_dim = 64, output_dim = 10" in r.stdout,
          f"make_digits.py builds the digits file ({r.stdout.strip()}{r.stderr.strip()[-300:]})")
    if r.returncode == 0:
        with h5py.File(os.path.join(data, "digits.h5"), "r") as f:
            Xs, ys, W0 = np.array(f["X_source"]), np.array(f["labels_source"]), np.array(f["W0"])
            Xt, yt = np.array(f["X"]), np.array(f["labels"])
        # W0 minimizes the source task's ℓ2-regularized softmax loss (λ = 1e-3).
        Z = Xs @ W0
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(len(ys)), ys] -= 1.0
        gnorm = np.linalg.norm(Xs.T @ P / len(ys) + 1e-3 * W0)
        check(gnorm < 1e-8, f"W0 is a stationary point of the source loss (‖∇‖ = {gnorm:.1e})")
        pred = np.argmax(Xt @ W0, axis=1)
        swapped = np.isin(yt, [1, 7, 3, 8])
        check(np.mean(pred[~swapped] == yt[~swapped]) > 0.9 and np.mean(pred[swapped] == yt[swapped]) < 0.1,
              "the target task differs from the source on the swapped classes only")
        lrs.write("sweeps/digits.toml",
            CLASSIFY.format(file="digits.h5").replace("samples = 40", "samples = 450")
            .replace("input_dim = 6", "input_dim = 64").replace("output_dim = 3", "output_dim = 10")
            .replace("width = 8", "width = 16"))
        r = lrs.run("plan", "sweeps/digits.toml")
        check(r.returncode == 0, f"the digits file plans ({r.stderr.strip()})")

sys.exit(tap.done())
