"""Read an lrsweep store (docs/store.md, schema version 2) with h5py alone: the
layer under lrsweep.points() & co. (lrsweep/__init__.py).

    from lrsweep import store as lrsstore
    with lrsstore.Store("p1_fig1.h5") as st:
        print(st.sweeps)                      # ["p1-fig1"]
        pts = st.points()                     # dict column -> numpy array
        pts["status"][:3]                     # array(['converged', ...]) (enums decoded)
        tr = st.trajectory(0)                 # dict column -> numpy array, point row 0

Errors that a user can cause (missing file, not a store, unknown sweep, unknown
column, a bad --where expression) raise StoreError with a one-line message;
scripts print it and exit 2 (see `main_guard`).

Crash leftovers are read as lrsweep reads them: the table ends at the first appended
row whose key does not hash to its key_hash, and a row whose row_check does not match
its result columns (torn by a kill mid-write) reads as pending.

Refinement rows: schema 2 appends rows after the grid's `n_points` (column `origin`
"bisect" or "seed", `generation` > 0).  `points()` returns them all; `grid_mask(pts)`
selects the grid rows.  `boundary(sweep, axis)` is `lrsweep query --boundary`, run by
the program itself (lrsweep.cli), so the rule lives in one place:

        with lrsstore.Store("p1_critical_step.h5") as st:
            for c in lrsstore.boundary(st.sweep(), "step_size"):   # [refine] predicate
                print(c["width"], c["init_scale"], c["seed"], c["lo"], c["hi"], c["boundary"])

`where_mask` and `value` evaluate the --where language (lrsweep.expr, the grammar
of src/query/expr.c) over column arrays -- never `eval`.
"""

import argparse
import math
import os
import re
import sys

import numpy as np

from . import cli, expr

SCHEMA_VERSION = 2
FAILED = ("diverged", "numerical_failure", "timeout", "error", "rule_undefined")
DONE_OK = ("converged", "max_iter", "max_time", "theory_only")


class StoreError(Exception):
    """A one-line error the user can fix (bad store, unknown sweep/column, bad expression)."""


def _h5py():
    import h5py  # imported lazily so --help works even without h5py

    return h5py


def _did_you_mean(name, choices):
    return expr._did_you_mean(name, choices)  # the program's one rule


class Store:
    """An open lrsweep store (read-only, SWMR read so it works while a sweep runs)."""

    def __init__(self, path):
        self.path = path
        if not os.path.exists(path):
            raise StoreError("%s: No such file or directory" % path)
        if os.path.isdir(path):
            raise StoreError("%s: is a directory, not an lrsweep store" % path)
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head != b"\x89HDF\r\n\x1a\n":
            raise StoreError("%s: not an HDF5 file, so not an lrsweep store" % path)
        h5py = _h5py()
        try:
            self.file = h5py.File(path, "r", swmr=True)
        except OSError as e:
            try:
                self.file = h5py.File(path, "r")
            except OSError:
                msg = str(e).splitlines()[0] if str(e) else "cannot open"
                cut = re.search(r"truncated file: eof = (\d+),.*stored_eof = (\d+)", msg)
                if cut:  # a copy or download cut short, or a full disk
                    raise StoreError(
                        "%s: truncated: %s of the store's %s bytes are there (an incomplete copy?); "
                        "copy the store again from where it was written" % (path, cut.group(1), cut.group(2))) from None
                raise StoreError("%s: cannot open HDF5 file (%s)" % (path, msg)) from None
        ver = self.file.attrs.get("lrsweep_schema_version")
        if ver is None:
            self.file.close()
            raise StoreError(
                "%s: HDF5 file but not an lrsweep store (no lrsweep_schema_version attribute)" % path
            )
        if int(ver) != SCHEMA_VERSION:
            self.file.close()
            raise StoreError(
                "%s: store schema version %d is %s than this reader reads (%d)"
                % (path, int(ver), "newer" if int(ver) > SCHEMA_VERSION else "older", SCHEMA_VERSION)
            )
        self.sweeps = sorted(self.file["sweeps"].keys()) if "sweeps" in self.file else []
        self._points_cache = {}

    # context manager -------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.file.close()
        except Exception:
            pass

    # sweeps ----------------------------------------------------------------------
    def sweep_name(self, sweep=None):
        """The sweep NAME: the given one (checked) or the only one in the store."""
        if sweep is None:
            if len(self.sweeps) == 1:
                return self.sweeps[0]
            if not self.sweeps:
                raise StoreError("%s: store holds no sweep" % self.path)
            raise StoreError(
                "%s: store holds %d sweeps (%s); choose one with --sweep"
                % (self.path, len(self.sweeps), ", ".join(self.sweeps))
            )
        if sweep not in self.sweeps:
            raise StoreError(
                "%s: unknown sweep '%s'%s (store has: %s)"
                % (self.path, sweep, _did_you_mean(sweep, self.sweeps), ", ".join(self.sweeps))
            )
        return sweep

    def group(self, sweep=None):
        return self.file["sweeps"][self.sweep_name(sweep)]

    def sweep_attrs(self, sweep=None):
        return {k: _attr(v) for k, v in self.group(sweep).attrs.items()}

    def axes(self, sweep=None):
        """Ordered dict axis -> {"values": array (enum names decoded), "log_scale", "type",
        "parameter"}; the `seed` axis is included."""
        g = self.group(sweep)
        out = {}
        if "axes" not in g:
            return out
        for name in g["axes"]:
            ds = g["axes"][name]
            out[name] = {
                "values": _decode(ds[...], ds.dtype),
                "log_scale": bool(int(ds.attrs.get("log_scale", 0))),
                "type": _attr(ds.attrs.get("type", "")),
                "parameter": _attr(ds.attrs.get("parameter", name)),
                "zip_group": int(ds.attrs.get("zip_group", -1)),
            }
        return out

    def sweep(self, sweep=None):
        """A Sweep: this store and one sweep name (the only one when None)."""
        return Sweep(self, self.sweep_name(sweep))

    def refine(self, sweep=None):
        """The sweep's [refine] table parsed from `sweep_text` ({} when absent)."""
        return refine_options(self.sweep_attrs(sweep).get("sweep_text", ""))

    # points ----------------------------------------------------------------------
    def points(self, sweep=None, columns=None):
        """Every row of /sweeps/NAME/points as a dict column -> numpy array.
        Enum columns become arrays of their value names (str), fixed-length strings
        become str, booleans numpy bool.  `columns` limits (and checks) the columns."""
        name = self.sweep_name(sweep)
        if name not in self._points_cache:
            ds = self.file["sweeps"][name]["points"]
            g = self.file["sweeps"][name]
            # Rows past the committed count belong to an unfinished refinement round.
            committed = int(g["rows"][0]) if "rows" in g else len(ds)
            raw = ds[: min(committed, len(ds))]
            raw = raw[: _written_rows(raw)]
            torn = _torn_rows(raw)
            cols = {c: _decode(raw[c], ds.dtype[c]) for c in raw.dtype.names}
            if torn.any():  # as lrsweep's reader does: a row torn by a crash reads as pending
                cols["status"] = cols["status"].copy()
                cols["status"][torn] = "pending"
            pts = Points(cols)
            pts.kinds = _kinds(ds.dtype)
            pts.torn = torn
            self._points_cache[name] = pts
        pts = self._points_cache[name]
        if columns is None:
            return pts.copy()
        for c in columns:
            check_column(pts, c)
        out = Points({c: pts[c] for c in columns})
        out.kinds = pts.kinds
        return out

    def trajectory(self, row, sweep=None):
        """The records of the point in row `row` of points (dict column -> array);
        empty arrays when the point has none.  The columns are those the file has: a
        record column added after the store was written (e.g. train_cross_entropy)
        is absent, not NaN (docs/store.md)."""
        name = self.sweep_name(sweep)
        pts = self.points(name)
        n = len(pts["index"])
        if not 0 <= int(row) < n:
            raise StoreError("%s: point %s out of range (sweep %s has %d points)" % (self.path, row, name, n))
        off, cnt = int(pts["traj_offset"][row]), int(pts["traj_count"][row])
        ds = self.file["sweeps"][name]["trajectories"]
        if off < 0 or cnt <= 0:
            rec = ds[0:0]
        else:
            rec = ds[off : off + cnt]
        return {c: _decode(rec[c], ds.dtype[c]) for c in rec.dtype.names}


class Points(dict):
    """Columns of a points table (name -> numpy array); `kinds` names each column's
    kind for the --where language (name -> lrsweep.expr.Column)."""

    kinds = None
    torn = None  # rows whose row_check does not match (read as pending)

    def copy(self):
        out = Points(self)
        out.kinds, out.torn = self.kinds, self.torn
        return out


def _kinds(dtype):
    h5py = _h5py()
    out = {}
    for c in dtype.names:
        enum = h5py.check_enum_dtype(dtype[c])
        if enum is not None and dtype[c] != np.bool_:
            out[c] = expr.Column("enum", [k for k, _ in sorted(enum.items(), key=lambda kv: kv[1])])
        elif dtype[c].kind == "S":
            out[c] = expr.Column("text")
        else:
            out[c] = expr.Column("number")
    return out


class Sweep:
    """One sweep of an open Store (what `boundary` takes)."""

    def __init__(self, store, name):
        self.store, self.name = store, name

    def points(self, columns=None):
        return self.store.points(self.name, columns)

    def axes(self):
        return self.store.axes(self.name)

    def attrs(self):
        return self.store.sweep_attrs(self.name)

    def refine(self):
        return self.store.refine(self.name)

    def trajectory(self, row):
        return self.store.trajectory(row, self.name)


def refine_options(sweep_text):
    """The [refine] table of a sweep file's text as a dict ({} without one)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        raise StoreError("reading [refine] from sweep_text needs Python >= 3.11 (tomllib)") from None
    try:
        return dict(tomllib.loads(sweep_text or "").get("refine", {}))
    except tomllib.TOMLDecodeError as e:
        raise StoreError("stored sweep_text does not parse as TOML: %s" % e) from None


def grid_mask(pts):
    """Rows of the grid itself (origin "grid"), not refinement rows."""
    return np.asarray(pts["origin"]) == "grid"


def _fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _written_rows(raw):
    """Rows before the first one not completely written (docs/store.md: a
    refinement row whose key does not hash to its key_hash ends the table)."""
    bad = np.flatnonzero(raw["index"] != np.arange(len(raw), dtype=raw["index"].dtype))
    end = int(bad[0]) if len(bad) else len(raw)
    for i in np.flatnonzero(raw["origin"][:end] != 0):
        if _fnv1a64(bytes(raw["key"][i]).rstrip(b"\0")) != int(raw["key_hash"][i]):
            return int(i)
    return end


def _row_check(raw):
    """row_check of every row (docs/store.md, Crash safety): FNV-1a 64 over the
    columns status .. traj_count, each as its little-endian bytes (int32 4, enums and
    booleans 1, strings up to and with their NUL, the rest 8); vectorized over rows."""
    names = raw.dtype.names
    first, last = names.index("status"), names.index("row_check")
    prime = np.uint64(0x100000001B3)
    h = np.full(len(raw), 0xCBF29CE484222325, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in names[first:last]:
            a = raw[c]
            if a.dtype.kind == "S":
                width = a.dtype.itemsize
                b = np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=np.uint8).reshape(len(a), width)
                nul = np.argmax(np.concatenate([b, np.zeros((len(a), 1), np.uint8)], axis=1) == 0, axis=1)
                n = np.minimum(nul, width - 1) + 1
                for j in range(int(n.max()) if len(a) else 0):
                    on = j < n
                    bj = b[:, j] if j < width else np.zeros(len(a), np.uint8)
                    h[on] = (h[on] ^ bj[on].astype(np.uint64)) * prime
                continue
            if a.dtype == np.bool_ or a.dtype.itemsize == 1:
                b = a.astype(np.uint8).reshape(-1, 1)
            else:
                b = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).view(np.uint8).reshape(len(a), -1)
            for j in range(b.shape[1]):
                h = (h ^ b[:, j].astype(np.uint64)) * prime
    return h


def _torn_rows(raw):
    """Rows whose row_check does not match their result columns (torn by a crash)."""
    if "row_check" not in raw.dtype.names or not len(raw):
        return np.zeros(len(raw), dtype=bool)
    return _row_check(raw) != raw["row_check"].astype(np.uint64)


def _attr(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _decode(arr, dtype):
    h5py = _h5py()
    enum = h5py.check_enum_dtype(dtype)
    if enum is not None and arr.dtype != np.bool_:
        names = {v: k for k, v in enum.items()}
        return np.array([names.get(int(x), str(int(x))) for x in np.ravel(arr)], dtype=object).astype(str)
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8", "replace").astype(str)
    return arr


def check_column(pts, name):
    if name not in pts:
        raise StoreError("unknown column '%s'%s" % (name, _did_you_mean(name, pts.keys())))
    return pts[name]


def open_store(path):
    return Store(path)



# ---------------------------------------------------------------------------------
# The --where language (lrsweep.expr) over a points dict.


def _columns_of(pts):
    kinds = getattr(pts, "kinds", None)
    if kinds:
        return kinds
    return {c: expr.Column("text" if np.asarray(v).dtype.kind in "USO" else "number") for c, v in pts.items()}


def _getter(pts, kinds):
    """Columns as the language reads them: an integer's -1 is missing (NaN), as in
    lrsweep query (docs/store.md, "Missing values")."""

    def get(name):
        v = np.asarray(pts[name])
        if kinds[name].kind != "number":
            return v.astype(str)
        if np.issubdtype(v.dtype, np.signedinteger):
            return np.where(v == -1, np.nan, v.astype(float))
        return v.astype(float)

    return get


def _parse(text, pts, value=False, option="--where"):
    try:
        return expr.parse(text, _columns_of(pts), value, option)
    except expr.ExprError as e:
        raise StoreError(str(e)) from None


def where_mask(pts, text):
    """The rows where the --where expression `text` holds (every row when empty)."""
    n = len(pts["index"])
    if not text:
        return np.ones(n, dtype=bool)
    e = _parse(text, pts)
    return e.evaluate(_getter(pts, e.columns), n)


def evaluate(text, pts, n=None):
    """where_mask with the arguments of the former lrsstore.evaluate."""
    return where_mask(pts, text)


def value(pts, text, option="--z"):
    """A column by name, or a numeric expression over columns, as a float array.
    An integer column's -1 ("never": iters_to_*; not fitted: rate_begin) is NaN,
    missing, as in lrsweep query (docs/store.md, "Missing values")."""
    n = len(pts["index"])
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        check_column(pts, text)
        if _columns_of(pts)[text].kind != "number":
            raise StoreError("column '%s' is text, not a number" % text)
    e = _parse(text, pts, value=True, option=option)
    return e.values(_getter(pts, e.columns), n)


# ---------------------------------------------------------------------------------
# Phase boundaries: `lrsweep query --boundary`, run by the program (lrsweep.cli).

BOUNDARY_FIELDS = ("lo", "hi", "boundary", "below", "points", "flips", "generation")


def boundary(sweep, axis, predicate=None, where=None):
    """Where `predicate` flips along `axis`, for every cell (every combination of the
    other axes' values, seed included) over the computed rows `where` keeps: the
    cells of `lrsweep query --boundary AXIS --format json`, in its order, each a dict
    of the other axes' values, lo, hi (NaN without a flip), boundary, below, points,
    flips and generation.  The rule (include/lrsweep/query.h) is the C one; this
    runs the lrsweep program (lrsweep.cli.program()).

    sweep      a Sweep (Store.sweep()), or a Store holding one sweep
    predicate  an expression (the --where language); None: the [refine] predicate
    """
    if isinstance(sweep, Store):
        sweep = sweep.sweep()
    # Checked here first, so that an error names what the caller gave (a StoreError
    # with the argument's name, before the program runs).
    axes = sweep.axes()
    if axis not in axes:
        raise StoreError("boundary axis '%s': not an axis of sweep '%s'%s (axes: %s)"
                         % (axis, sweep.name, _did_you_mean(axis, axes), ", ".join(axes)))
    pts = sweep.points()
    if predicate:
        _parse(predicate, pts, option="--predicate")
    elif not sweep.refine().get("predicate"):
        raise StoreError("sweep '%s' has no [refine] predicate: give the predicate (--predicate EXPR)" % sweep.name)
    if where:
        _parse(where, pts)
    args = ["query", sweep.store.path, "--sweep", sweep.name, "--boundary", axis, "--format", "json"]
    if predicate:
        args += ["--predicate", predicate]
    if where:
        args += ["--where", where]
    cells = []
    for line in cli.run(args).splitlines():
        c = __import__("json").loads(line)
        for k in ("lo", "hi", "boundary"):
            c[k] = math.nan if c.get(k) is None else float(c[k])
        c["below"] = c["below"] in (True, "true")  # printed as the text true/false
        cells.append(c)
    return cells


def is_log_axis(values, axis_info=None):
    """Logarithmic: the axis was a `log` range, or its all-positive values span more than
    two decades, or (3+ values over at least a decade) are spaced more evenly in log
    than in linear scale."""
    if axis_info is not None and axis_info.get("log_scale"):
        return True
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    v = np.unique(v[np.isfinite(v)])
    if v.size < 2 or not bool(np.all(v > 0)):
        return False
    if v.max() / v.min() > 100.0:
        return True
    # a geometric list (e.g. 1e-5, 1e-4, 1e-3): log spacing more even than linear
    if v.size >= 3 and v.max() / v.min() >= 10.0:
        dl, dn = np.diff(np.log(v)), np.diff(v)
        return float(np.std(dl) / np.mean(dl)) < float(np.std(dn) / np.mean(dn))
    return False


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2).  doc=__doc__ makes --help the
    script's docstring: its first paragraph as the description, the rest as written."""

    def __init__(self, *args, doc=None, **kw):
        if doc is not None:
            paragraphs = doc.split("\n\n")
            kw.update(description=paragraphs[0], epilog="\n\n".join(paragraphs[1:]),
                      formatter_class=argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kw)

    def error(self, message):
        print("%s: %s (see --help)" % (self.prog, message), file=sys.stderr)
        sys.exit(2)


def main_guard(fn):
    """Run a script's main; StoreError -> one line on stderr, exit 2."""
    prog = os.path.basename(sys.argv[0])
    try:
        rc = fn()
    except StoreError as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)
    sys.exit(rc or 0)
