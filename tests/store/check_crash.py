#!/usr/bin/python3
"""h5py's view of a store left by test_crash: every reported point is there.

usage: check_crash.py STORE REPORTED_LIST swmr|plain
The expected values are the synthetic ones of tests/store/synth.h, derived
here again from the point index: L0 = 2.385 + 0.125 i, 3 + i % 6 records,
record k has step 10 k and loss L0 (k + 1) + 0.01.
"""
import sys

import h5py
import numpy as np

path, listing, mode = sys.argv[1:4]
reported = [int(line) for line in open(listing) if line.strip()]
with h5py.File(path, "r", swmr=(mode == "swmr")) as f:
    points = f["sweeps/crash/points"]
    rows = points[...]
    traj = f["sweeps/crash/trajectories"][...]
    status = h5py.check_enum_dtype(points.dtype["status"])
bad = []
for i in reported:
    r = rows[i]
    b = 2.385 + 0.125 * i
    if r["status"] == status["pending"] or r["index"] != i or r["loss0"] != b:
        bad.append((i, "row"))
        continue
    off, count = int(r["traj_offset"]), int(r["traj_count"])
    t = traj[off:off + count]
    k = np.arange(count)
    if (count != 3 + i % 6 or not (t["key_hash"] == r["key_hash"]).all()
            or not (t["step"] == 10 * k).all()
            or not np.allclose(t["loss"], b * (k + 1) + 0.01, rtol=1e-15, atol=0)):
        bad.append((i, "trajectory"))
print(f"# h5py ({mode}): {len(reported)} reported points checked, {len(bad)} bad {bad[:5]}")
sys.exit(1 if bad else 0)
