#!/usr/bin/python3
"""Compares two lrsweep stores as results: every points column except timing
and bookkeeping (wall_seconds, attempts, rank, traj_offset, row_check), and
each point's trajectory by content.  Prints one line; exit 0 when equal.

usage: compare_stores.py A.h5 B.h5 [SWEEP]
"""
import sys

import h5py
import numpy as np

SKIP = {"wall_seconds", "attempts", "rank", "traj_offset", "row_check"}


def load(path, name):
    f = h5py.File(path, "r", swmr=True)
    sweeps = list(f["sweeps"])
    sweep = f["sweeps"][name or sweeps[0]]
    return f, sweep["points"][...], sweep["trajectories"]


def main(a, b, name=None):
    fa, pa, ta = load(a, name)
    fb, pb, tb = load(b, name)
    if len(pa) != len(pb):
        print(f"differ: {len(pa)} vs {len(pb)} points")
        return 1
    order_a, order_b = np.argsort(pa["key_hash"]), np.argsort(pb["key_hash"])
    pa, pb = pa[order_a], pb[order_b]
    for col in pa.dtype.names:
        if col in SKIP:
            continue
        x, y = pa[col], pb[col]
        diff = ~((x == y) | (np.isnan(x) & np.isnan(y))) if x.dtype.kind == "f" else x != y
        if np.any(diff):
            bad = np.argwhere(diff)[0][0]
            print(f"differ: column {col} at key {pa['key'][bad].decode()}")
            return 1
    for ra, rb in zip(pa, pb):
        sa = ta[ra["traj_offset"]:ra["traj_offset"] + ra["traj_count"]] if ra["traj_count"] > 0 else ta[0:0]
        sb = tb[rb["traj_offset"]:rb["traj_offset"] + rb["traj_count"]] if rb["traj_count"] > 0 else tb[0:0]
        for col in sa.dtype.names:
            if not np.array_equal(sa[col], sb[col], equal_nan=sa[col].dtype.kind == "f"):
                print(f"differ: trajectory {col} of key {ra['key'].decode()}")
                return 1
    print(f"equal: {len(pa)} points, {int(pa['traj_count'].sum())} records")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
