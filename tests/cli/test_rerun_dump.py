#!/usr/bin/python3
"""rerun and --dump, checked against an independent NumPy implementation (TAP).

usage: test_rerun_dump.py LRSWEEP
"""
import os
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Scratch, Tap, trajectory  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok


SWEEP = """
[sweep]
name = "rd"
store = "rd.h5"
[problem]
input_dim = 6
output_dim = 4
width = 30
init_scale = 0.4
sigma2 = 0.1
[solver]
step_rule = "fixed"
step_size = 0.005
max_iter = 15
tol = 0.0
[grid]
data = ["orthogonal", "gaussian"]
samples = [0, 9]
zip = [["data", "samples"]]
"""
LORA = """
[sweep]
name = "lora"
[problem]
model = "lora"
input_dim = 6
output_dim = 5
width = 12
lora_rank = 2
init = "small"
init_scale = 0.01
[solver]
step_rule = "fixed"
step_size = 0.01
max_iter = 20
tol = 0.0
"""

with tempfile.TemporaryDirectory() as tmp:
    lrs = Scratch(LRSWEEP, tmp)
    lrs.write("rd.toml", SWEEP)
    lrs.write("lora.toml", LORA)

    r = lrs.run("rd.toml", "--quiet")
    check(r.returncode == 0 and os.path.exists(os.path.join(tmp, "rd.h5")), "a small sweep runs into its store")
    for k in (0, 1):
        r = lrs.run("rerun", "rd.h5", "--point", str(k))
        check(r.returncode == 0 and "identical" in r.stdout, f"rerun point {k}: bit-identical ({r.stdout.strip().splitlines()[-1] if r.stdout else r.stderr.strip()})")
    r = lrs.run("rerun", "rd.h5", "--point", "1", "--every", "1", "--output", "full.tsv")
    full = trajectory(open(os.path.join(tmp, "full.tsv")).read()) if r.returncode == 0 else None
    check(full is not None and list(full["step"]) == list(range(16)), "rerun --every 1 writes all 16 steps")
    # rerun compares every stored field (lrsweep/result.h's lists) except the
    # run-dependent ones: change one value of point 0 in a copy of the store
    # (with the row_check docs/store.md defines, recomputed here) and rerun.
    def row_check(row):
        h, names = 0xCBF29CE484222325, row.dtype.names
        for n in names[names.index("status"):names.index("traj_count") + 1]:
            v = row[n]
            data = bytes(v) + b"\0" if row.dtype[n].kind == "S" else \
                np.asarray(v).astype(row.dtype[n].newbyteorder("<")).tobytes()
            for b in data:
                h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h

    with h5py.File(os.path.join(tmp, "rd.h5"), "r") as f:
        pts = f["sweeps/rd/points"][...]
    check(all(row_check(p) == int(p["row_check"]) for p in pts),
          "row_check recomputed as docs/store.md defines it")

    def tampered(what, change, every=()):
        path = os.path.join(tmp, "t.h5")
        with open(os.path.join(tmp, "rd.h5"), "rb") as a, open(path, "wb") as b:
            b.write(a.read())
        with h5py.File(path, "r+") as f:
            if what == "record":
                ds = f["sweeps/rd/trajectories"]
                recs = ds[...]
                change(recs, int(pts[0]["traj_offset"]))
                ds[...] = recs
            else:
                ds = f["sweeps/rd/points"]
                rows = ds[...]
                change(rows)
                rows["row_check"][0] = row_check(rows[0])
                ds[...] = rows
        return lrs.run("rerun", "t.h5", "--point", "0", *every)

    def bump(col):
        def change(rows):
            v = rows[col][0]
            rows[col][0] = (1.0 if np.isnan(v) else np.nextafter(v, np.inf)) \
                if rows[col].dtype.kind == "f" else v + 1
        return change

    for col in ("final_loss", "lambda_plus", "mu_bar", "time_to_3", "iters_to_6", "rate_end",
                "align_end"):
        r = tampered(col, bump(col))
        check(r.returncode == 1 and f"in {col}\n" in r.stdout,
              f"rerun finds a changed {col} ({r.stdout.strip().splitlines()[-1:]}{r.stderr.strip()})")
    def message(rows):
        rows["message"][0] = b"edited"
    r = tampered("message", message)
    check(r.returncode == 1 and "in message\n" in r.stdout, f"rerun finds a changed message {r.stdout[-80:]}")
    def status(rows):
        rows["eta_max_bound"][0] = (rows["eta_max_bound"][0] + 1) % 4
    r = tampered("eta_max_bound", status)
    check(r.returncode == 1 and "in eta_max_bound\n" in r.stdout, f"rerun finds a changed enum {r.stdout[-80:]}")
    r = tampered("wall_seconds", bump("wall_seconds"))
    check(r.returncode == 0 and "identical" in r.stdout, "rerun ignores wall_seconds (run-dependent)")
    r = tampered("rate", bump("rate"), ("--every", "1", "--output", "t.tsv"))
    check(r.returncode == 0, "rerun --every ignores the fields computed from the records (rate) "
          f"{r.stdout[-100:]}{r.stderr}")
    r = tampered("iters_to_6", bump("iters_to_6"), ("--every", "1", "--output", "t.tsv"))
    check(r.returncode == 1 and "in iters_to_6\n" in r.stdout,
          "... but not those computed at every step (iters_to_6)")
    def record(recs, off):
        recs["mu_t"][off + 3] = np.nextafter(recs["mu_t"][off + 3], np.inf)
    r = tampered("record", record)
    check(r.returncode == 1 and "in mu_t of record 3\n" in r.stdout, f"rerun finds a changed record field {r.stdout[-80:]}")

    r = lrs.run("rerun", "rd.h5", "--point", "7")
    check(r.returncode == 2 and "no such point" in r.stderr, "rerun of a point outside the store: exit 2")
    r = lrs.run("rerun", "missing.h5", "--point", "0")
    check(r.returncode == 2 and r.stderr.count("\n") == 1, f"rerun of a missing store: one line, exit 2 ({r.stderr.strip()})")

    # query --plot: the larger final loss gets the darkest shade, the smaller the lightest.
    csv = lrs.run("query", "rd.h5", "--select", "data,final_loss", "--format", "csv").stdout
    loss = {l.split(",")[0]: float(l.split(",")[1]) for l in csv.strip().splitlines()[1:]}
    r = lrs.run("query", "rd.h5", "--pivot", "data,seed,final_loss", "--plot")
    row = [l for l in r.stdout.splitlines() if l.strip().startswith("0 |")]
    seg = row[0].split("|")[1] if row else ""
    half = len(seg) // 2
    dark = "left" if "@" in seg[:half] else "right" if "@" in seg[half:] else None
    # Columns ascend by enum value: orthogonal (0) left, gaussian (2) right.
    want = "left" if loss["orthogonal"] > loss["gaussian"] else "right"
    check(r.returncode == 0 and dark == want and seg.count("@") * 2 <= len(seg),
          f"query --plot: darkest shade on the larger final loss ({row})")
    r = lrs.run("query", "rd.h5", "--plot")
    check(r.returncode == 2 and "--pivot" in r.stderr, "query --plot without --pivot: exit 2")

    # two_layer: redo GD with NumPy from the dumped data (papers.md §1.2).
    for k in (0, 1):
        p = lrs.solve("rd.toml", point=k, dump=f"p{k}.h5")
        traj = p.traj
        X, Y, W1, W2 = (p.dump[n] for n in ("X", "Y", "W1", "W2"))
        key = p.attrs["key"]
        check(X.shape == ((6, 6) if k == 0 else (9, 6)) and Y.shape[1] == 4 and W1.shape == (6, 30) and W2.shape == (4, 30),
              f"dump {key}: X {X.shape}, Y {Y.shape}, W1 {W1.shape}, W2 {W2.shape}")
        losses = []
        for _ in range(16):
            R = X @ (W1 @ W2.T) - Y
            losses.append(0.5 * np.sum(R * R))
            G = X.T @ R                       # ∇ℓ(W), n×m
            W1, W2 = W1 - 0.005 * G @ W2, W2 - 0.005 * G.T @ W1
        # Records hold L − ℓ* (ℓ* > 0 when N > n leaves a residual).
        full_loss = traj["loss"] + float(p.summary.get("loss_star", "nan"))
        same_len = len(full_loss) == 16
        rel = np.max(np.abs(np.array(losses) - full_loss) / np.array(losses)) if same_len else np.inf
        check(rel < 1e-9, f"point {k}: NumPy GD losses match lrsweep's over 16 steps to {rel:.1e}")

    # reference: GD on W itself from the two_layer point's draws, η = 1/σ²_max(X)
    # by default (papers.md §3.4), redone with NumPy from the two_layer dump.
    lrs.write("ref.toml", SWEEP.replace("[problem]", '[problem]\nmodel = "reference"').replace('step_size = 0.005\n', ''))
    for k in (0, 1):
        p = lrs.solve("ref.toml", point=k, dump=f"r{k}.h5")
        traj = p.traj if p.traj is not None else {"loss": np.array([])}
        with h5py.File(os.path.join(tmp, f"p{k}.h5"), "r") as f:
            X, Y, W1, W2 = (np.array(f[n]) for n in ("X", "Y", "W1", "W2"))
        same = p.dump is not None and np.array_equal(p.dump["X"], X) and np.array_equal(p.dump["Y"], Y)
        same = same and np.allclose(p.dump["W"], W1 @ W2.T, rtol=1e-14, atol=1e-14)
        check(same, f"reference point {k}: the two_layer point's X, Y and W(0) = W1(0) W2(0)ᵀ")
        W, eta = W1 @ W2.T, 1.0 / np.linalg.norm(X, 2) ** 2
        losses = []
        for _ in range(16):
            R = X @ W - Y
            losses.append(0.5 * np.sum(R * R))
            W = W - eta * X.T @ R
        full_loss = traj["loss"] + float(p.summary.get("loss_star", "nan"))
        ok_len = len(full_loss) == 16
        # Orthogonal X: η = 1/K solves it in one step, then both sides are at rounding.
        scale = np.array(losses) + 1e-12 * losses[0]
        rel = np.max(np.abs(np.array(losses) - full_loss) / scale) if ok_len else np.inf
        check(rel < 1e-9, f"reference point {k}: NumPy GD on W with η = 1/σ²_max(X) matches to {rel:.1e}")

    # lora: the initial loss from the dumped factors (papers.md §2.1).
    p = lrs.solve("lora.toml", dump="l.h5")
    traj, M = p.traj, p.dump
    check(np.allclose(M["W2"] @ M["W1"], M["Y_pre"], rtol=0, atol=1e-12 * np.abs(M["Y_pre"]).max()),
          "lora dump: W2 W1 = Y_pre")
    check(np.linalg.matrix_rank(M["dY"], tol=1e-9) == 1 and not M["B1"].any() and not M["B2"].any(),
          "lora dump: ΔY rank one, small init has B = 0")
    losses = []
    A1, B1, A2, B2 = M["A1"], M["B1"], M["A2"], M["B2"]
    for _ in range(21):
        P1, P2 = M["W1"] + B1 @ A1, M["W2"] + B2 @ A2
        E = M["dY"] - (P2 @ P1 - M["W2"] @ M["W1"])
        losses.append(0.5 * np.sum(E * E))
        dB1, dA1 = P2.T @ E @ A1.T, B1.T @ P2.T @ E     # GF field = −∇L
        dB2, dA2 = E @ P1.T @ A2.T, B2.T @ E @ P1.T
        A1, B1, A2, B2 = A1 + 0.01 * dA1, B1 + 0.01 * dB1, A2 + 0.01 * dA2, B2 + 0.01 * dB2
    rel = np.max(np.abs(np.array(losses) - traj["loss"]) / np.array(losses))
    check(rel < 1e-9, f"lora: NumPy GD losses from the dump match lrsweep's to {rel:.1e}")

    # lora GF: scipy's DOP853 (tests/bench/baseline.py) on the dumped instance, at
    # lrsweep's record times, against lrsweep's rk8pd records.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
    import baseline  # noqa: E402
    traj = lrs.solve("lgf.toml", LORA.replace('step_rule = "fixed"', 'method = "gf"\nhorizon = 4.0\nrecords = 40')).traj
    p = baseline.lora_problem_from_dump(os.path.join(tmp, "lgf.h5"))
    times = baseline.lrsweep_gf_times(4.0, 40)
    same_t = len(times) == len(traj["time"]) and np.allclose(times, traj["time"], rtol=1e-15, atol=0)
    check(same_t, f"lora GF: baseline.lrsweep_gf_times gives lrsweep's {len(traj['time'])} record times")
    ref = baseline.lora_gf(p, 4.0, rtol=1e-13, atol=1e-16, times=times)["records"] if same_t else None
    for field, tol in (("loss", 1e-7), ("z1_fro", 1e-9), ("log10_misalign", 1e-9)):
        got = np.max(np.abs(ref[field] - traj[field]) / np.abs(ref[field])) if same_t else np.inf
        check(got < tol, f"lora GF: DOP853 on the dump matches lrsweep's {field} records to {got:.1e}")

sys.exit(tap.done())
