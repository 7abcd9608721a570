"""lrsweep's stores as pandas DataFrames and xarray Datasets (docs/store.md).

    import lrsweep
    df = lrsweep.points("quickstart.h5")                       # one row per point
    lrsweep.query("quickstart.h5", 'width >= 400 and status == "converged"')
    tr = lrsweep.trajectories("quickstart.h5", where="width == 100")   # long format
    ds = lrsweep.grid("quickstart.h5")                         # xarray, dims = grid axes + seed
    ds["rate"].median("seed")                                  # = lrsweep query --pivot ... --agg median
    lrsweep.boundary("p1_critical_step.h5", "step_size")       # = lrsweep query --boundary

Every function takes a store path (or an open lrsweep.store.Store) and, when the
store holds several sweeps, sweep=NAME.  Columns: enums are pandas categoricals,
"no value" is NaN (an integer column holding -1 -- iters_to_* never reached, a rate
not fitted -- becomes float with NaN there), rows torn by a crash or past the committed
count are left out, and `origin` says whether a row is the grid's or [refine]'s.
The --where language is lrsweep query's (lrsweep.expr; docs/store.md, "Queries").
"""

import contextlib

import numpy as np

from . import expr
from .store import Store, StoreError

__all__ = ["points", "query", "trajectories", "grid", "boundary", "Store", "StoreError"]


@contextlib.contextmanager
def _opened(store):
    """The Store given, or the store at path `store`, opened here and closed after."""
    if isinstance(store, Store):
        yield store
    else:
        with Store(str(store)) as st:
            yield st


def _frame(pts, rows):
    import pandas as pd

    data = {}
    for c, v in pts.items():
        kind = pts.kinds[c]
        v = np.asarray(v)[rows]
        if kind.kind == "enum":
            data[c] = pd.Categorical(v, categories=kind.names)
        elif kind.kind == "text":
            data[c] = v.astype(object)
        elif np.issubdtype(v.dtype, np.signedinteger) and (v == -1).any():
            data[c] = np.where(v == -1, np.nan, v.astype(float))
        else:
            data[c] = v
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _points(st, sweep, grid_only):
    pts = st.points(sweep)
    keep = ~pts.torn if pts.torn is not None else np.ones(len(pts["index"]), dtype=bool)
    if grid_only:
        keep &= np.asarray(pts["origin"]) == "grid"
    return pts, np.flatnonzero(keep)


def points(store, sweep=None, grid_only=False):
    """Every stored row of the sweep as a DataFrame, one column per store column
    (docs/store.md lists them); grid_only: the grid's own rows, not [refine]'s."""
    with _opened(store) as st:
        pts, rows = _points(st, sweep, grid_only)
        return _frame(pts, rows)


def _columns(df):
    out = {}
    for c in df.columns:
        dt = df[c].dtype
        if str(dt) == "category":
            out[c] = expr.Column("enum", [str(x) for x in dt.categories])
        elif dt == object:
            out[c] = expr.Column("text")
        else:
            out[c] = expr.Column("number")
    return out


def mask(df, where):
    """The rows of DataFrame `df` (from points()) where the --where expression holds."""
    if not where:
        return np.ones(len(df), dtype=bool)
    try:
        e = expr.parse(where, _columns(df))
    except expr.ExprError as err:
        raise StoreError(str(err)) from None

    def get(name):
        col = df[name]
        if e.columns[name].kind != "number":
            return np.asarray(col.astype(str), dtype=str)
        return np.asarray(col, dtype=float)

    return e.evaluate(get, len(df))


def query(store, where, sweep=None, grid_only=False):
    """The rows of points() where `where` holds -- `lrsweep query --where`, e.g.
    'width >= 400 and status == "converged"', 'log10(final_loss) < -6 * (1 - rate)'."""
    df = points(store, sweep, grid_only)
    return df[mask(df, where)].reset_index(drop=True)


def trajectories(store, where=None, sweep=None):
    """The records of every point `where` keeps, in long format: one row per record
    (docs/store.md, "trajectories"), with the point's `index`, `key`, `status` and
    axis values beside them; the trajectories are read in one read.  The record
    columns keep their names; an axis named as one (`step_size`, `loss`) is
    `point_step_size`, `point_loss`.  A record column the store predates is absent."""
    import pandas as pd

    with _opened(store) as st:
        pts, rows = _points(st, sweep, False)
        df = _frame(pts, rows)
        keep = mask(df, where) & (df["status"] != "pending").to_numpy() & (np.asarray(pts["traj_count"])[rows] > 0)
        sel = rows[keep]
        off = np.asarray(pts["traj_offset"], dtype=np.int64)[sel]
        cnt = np.asarray(pts["traj_count"], dtype=np.int64)[sel]
        ds = st.group(sweep)["trajectories"]
        recs = ds[...]  # one read
        start = np.repeat(off - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
        take = start + np.arange(int(cnt.sum()))
        from .store import _decode

        out = {}
        axes = [a for a in st.axes(sweep) if a in df.columns]
        point = df[keep].reset_index(drop=True)
        at = np.repeat(np.arange(len(point)), cnt)
        for c in ["index", "key", "status"] + [a for a in axes if a not in ("index", "key", "status")]:
            # A record column keeps its name (docs/store.md, "trajectories": `loss` is
            # always L - l*, `step_size` the step taken); an axis of the same name (a
            # grid over `loss` kinds or `step_size`) is `point_NAME`.
            name = "point_" + c if c in recs.dtype.names else c
            out[name] = point[c].to_numpy()[at] if str(point[c].dtype) != "category" else \
                pd.Categorical.from_codes(point[c].cat.codes.to_numpy()[at], point[c].cat.categories)
        for c in recs.dtype.names:
            out[c] = _decode(recs[c][take], ds.dtype[c])
        return pd.DataFrame(out)


def grid(store, sweep=None):
    """The grid's own rows as an xarray.Dataset: one dimension per grid axis (seed
    included; axes zipped together share the first one's dimension), one variable
    per other column, NaN (None for text) where a point is not stored (a column keeps
    its integer type when every point is).  Attributes: the dataset's `store` and
    `sweep`; each axis coordinate's `type`, `parameter` and `log_scale` (axes/AXIS)."""
    import xarray as xr

    with _opened(store) as st:
        axes = st.axes(sweep)
        df = points(st, sweep, grid_only=True)
        attrs = {"store": st.path, "sweep": st.sweep_name(sweep)}
    dims, coords, pos = [], {}, {}
    groups = {}
    for name, info in axes.items():
        g = info["zip_group"]
        vals = np.asarray(info["values"])
        lookup = {v: i for i, v in enumerate(vals.tolist())}
        where = np.array([lookup.get(v, -1) for v in df[name].astype(object if vals.dtype.kind in "US" else vals.dtype).tolist()])
        # what axes/AXIS says of the axis (docs/store.md), e.g. for a log-scaled plot
        meta = {"type": info["type"], "parameter": info["parameter"], "log_scale": int(info["log_scale"])}
        if g >= 0 and g in groups:
            coords[name] = (groups[g], vals, meta)
            continue
        if g >= 0:
            groups[g] = name
        dims.append(name)
        coords[name] = (name, vals, meta)
        pos[name] = where
    shape = tuple(len(axes[d]["values"]) for d in dims)
    ok = np.all([pos[d] >= 0 for d in dims], axis=0) if dims else np.zeros(len(df), bool)
    flat = np.ravel_multi_index(tuple(pos[d][ok] for d in dims), shape) if dims else np.array([], int)
    full = len(np.unique(flat)) == int(np.prod(shape))
    data = {}
    for c in df.columns:
        if c in axes:
            continue
        col = df[c]
        if str(col.dtype) == "category" or col.dtype == object:
            arr = np.full(int(np.prod(shape)), None, dtype=object)
            arr[flat] = col.astype(object).to_numpy()[ok]
        elif full:  # every cell stored: the column keeps its type (integers stay exact)
            arr = np.empty(int(np.prod(shape)), dtype=col.dtype)
            arr[flat] = col.to_numpy()[ok]
        else:
            arr = np.full(int(np.prod(shape)), np.nan)
            arr[flat] = col.to_numpy(dtype=float)[ok]
        data[c] = (dims, arr.reshape(shape))
    return xr.Dataset(data, coords=coords, attrs=attrs)


def boundary(store, axis, predicate=None, where=None, sweep=None):
    """Where `predicate` (default: the sweep's [refine] predicate) flips along `axis`,
    per cell of the other axes: `lrsweep query --boundary AXIS` as a DataFrame (the
    other axes, lo, hi, boundary, below, points, flips, generation; NaN without a
    flip).  The rule is the C one: this runs the lrsweep program (lrsweep.cli)."""
    import pandas as pd

    from . import store as _store

    with _opened(store) as st:
        return pd.DataFrame(_store.boundary(st.sweep(sweep), axis, predicate, where))
