"""Shared plotting helpers of the analysis scripts (matplotlib, Agg backend)."""

import numpy as np

from .. import store as lrsstore


def pyplot():
    """matplotlib.pyplot with the Agg backend, imported on first use (so that bad input
    is reported before the slow import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def ordered_values(pts, col, axes, mask=None):
    """Distinct values of column `col` among rows `mask`, in the axis' file order when
    `col` is an axis, else sorted."""
    v = pts[col] if mask is None else pts[col][mask]
    present = set(np.unique(v).tolist())
    if col in axes:
        order = [x for x in axes[col]["values"].tolist() if x in present]
        rest = sorted(present - set(order), key=str)
        return order + rest
    return sorted(present, key=lambda x: (str(type(x)), x))


def fmt(v):
    if isinstance(v, (str, np.str_)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        return "%g" % v
    return str(v)


def group_axes(pts, axes, mask, exclude=("seed",)):
    """The grid axes (not `exclude`) that take more than one value among rows `mask`."""
    out = []
    for a in pts:  # points-table (parameter) order, not the axes group's alphabetical one
        if a in exclude or a not in axes:
            continue
        if len(np.unique(pts[a][mask])) > 1:
            out.append(a)
    return out


def groups(pts, keys, mask):
    """[(dict key -> value, row indices)] for the distinct combinations of `keys`."""
    idx = np.flatnonzero(mask)
    if not keys:
        return [({}, idx)] if idx.size else []
    seen = {}
    for i in idx:
        k = tuple(pts[c][i].item() if hasattr(pts[c][i], "item") else pts[c][i] for c in keys)
        seen.setdefault(k, []).append(i)
    return [(dict(zip(keys, k)), np.array(v)) for k, v in seen.items()]


def label(d):
    return ", ".join("%s=%s" % (k, fmt(v)) for k, v in d.items()) or "all points"


def savefig(fig, path):
    import os

    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise lrsstore.StoreError("%s: output directory does not exist" % path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
