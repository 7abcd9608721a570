"""Comparing lrsweep stores in tests: every points column except the run-dependent
ones (docs/store.md: wall_seconds, attempts, rank, traj_offset, and row_check, which
hashes them) bit-identical, and every point's trajectory too."""
import h5py
import numpy as np

RUN_DEPENDENT = {"wall_seconds", "attempts", "rank", "traj_offset", "row_check"}


def points_of(path, sweep):
    with h5py.File(path, "r", swmr=True) as f:
        g = f["sweeps/" + sweep]
        return g["points"][...], g["trajectories"][...]


def status_names(points):
    enum = h5py.check_enum_dtype(points.dtype["status"])
    inv = {v: k for k, v in enum.items()}
    return np.array([inv[s] for s in points["status"]])


def store_diff(a, b, sweep, keep=lambda row: True, common_columns=False):
    """Differences between two stores of one sweep (empty list: equal), over the
    rows of `a` that `keep` accepts; with common_columns, over the columns both
    tables have (a store continued by a newer lrsweep gains columns)."""
    pa, ta = points_of(a, sweep)
    pb, tb = points_of(b, sweep)
    if len(pa) != len(pb):
        return [f"{len(pa)} rows vs {len(pb)}"]
    diffs = []
    if not common_columns and set(pa.dtype.names) != set(pb.dtype.names):
        diffs.append(f"columns differ: {sorted(set(pa.dtype.names) ^ set(pb.dtype.names))}")
    for col in pa.dtype.names:
        if col in RUN_DEPENDENT or col not in pb.dtype.names:
            continue
        for i in range(len(pa)):  # bytes: NaN equals NaN, -0 differs from 0
            if keep(pa[i]) and pa[col][i].tobytes() != pb[col][i].tobytes():
                diffs.append(f"row {i} column {col}: {pa[col][i]!r} vs {pb[col][i]!r}")
    by_hash = {int(r["key_hash"]): r for r in pb}
    for ra in filter(keep, pa):
        rb = by_hash[int(ra["key_hash"])]
        sa = ta[ra["traj_offset"]:ra["traj_offset"] + ra["traj_count"]] \
            if ra["traj_count"] > 0 else ta[:0]
        sb = tb[rb["traj_offset"]:rb["traj_offset"] + rb["traj_count"]] \
            if rb["traj_count"] > 0 else tb[:0]
        if sa.tobytes() != sb.tobytes():
            diffs.append(f"trajectory of {ra['key'].decode()}: {len(sa)} vs {len(sb)} records")
        elif len(sa) and not np.all(sa["key_hash"] == ra["key_hash"]):
            diffs.append(f"trajectory of {ra['key'].decode()} holds foreign key_hash")
    return diffs
