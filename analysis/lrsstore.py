"""Read an lrsweep store (docs/store.md, schema version 2) with h5py alone.

    import lrsstore
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
selects the grid rows.  `boundary(sweep, axis)` finds, per cell, the first flip of
a predicate along an axis -- the rule of `lrsweep query --boundary`:

        with lrsstore.Store("p1_critical_step.h5") as st:
            for c in lrsstore.boundary(st.sweep(), "step_size"):   # [refine] predicate
                print(c["width"], c["init_scale"], c["seed"], c["lo"], c["hi"], c["boundary"])

Also here: the small safe expression language of the scripts' --where / --z
options (`evaluate`), which is parsed with `ast` and evaluated over column arrays
with a whitelist of node types -- never `eval`.
"""

import ast
import difflib
import math
import os
import re
import sys

import numpy as np

SCHEMA_VERSION = 2
FAILED = ("diverged", "numerical_failure", "timeout", "error", "rule_undefined")
DONE_OK = ("converged", "max_iter", "max_time", "theory_only")


class StoreError(Exception):
    """A one-line error the user can fix (bad store, unknown sweep/column, bad expression)."""


def _h5py():
    import h5py  # imported lazily so --help works even without h5py

    return h5py


def _did_you_mean(name, choices):
    close = difflib.get_close_matches(name, list(choices), n=1)
    return "; did you mean '%s'?" % close[0] if close else ""


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
            self._points_cache[name] = cols
        pts = self._points_cache[name]
        if columns is None:
            return dict(pts)
        for c in columns:
            check_column(pts, c)
        return {c: pts[c] for c in columns}

    def trajectory(self, row, sweep=None):
        """The records of the point in row `row` of points (dict column -> array);
        empty arrays when the point has none."""
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
# Safe expressions: a whitelist over Python's ast.
#   where:  loss == "squared" and width >= 1000 and not (status == "diverged")
#   value:  alpha1 / alpha2,  log10(final_loss),  1 - rate
# lrsweep-query spellings &&, || and ! are accepted as well.

_FUNCS = {
    "log10": np.log10,
    "log": np.log,
    "exp": np.exp,
    "abs": np.abs,
    "sqrt": np.sqrt,
}
_CONSTS = {"true": True, "false": False, "True": True, "False": False, "nan": math.nan, "inf": math.inf}
_BINOPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_CMPOPS = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


def _translate(expr):
    """&&/||/! (lrsweep query's spelling) to and/or/not, outside quoted strings."""
    out, i, q = [], 0, None
    while i < len(expr):
        ch = expr[i]
        if q:
            out.append(ch)
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
            out.append(ch)
        elif expr.startswith("&&", i):
            out.append(" and ")
            i += 1
        elif expr.startswith("||", i):
            out.append(" or ")
            i += 1
        elif ch == "!" and not expr.startswith("!=", i):
            out.append(" not ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def evaluate(expr, cols, n=None):
    """Evaluate a safe expression over a dict of equal-length column arrays."""
    if n is None:
        n = len(next(iter(cols.values()))) if cols else 0
    text = _translate(expr.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise StoreError("bad expression %r: %s at column %s" % (expr, e.msg, e.offset)) from None

    def bad(node, what):
        col = getattr(node, "col_offset", 0) + 1
        raise StoreError("bad expression %r: %s at column %d" % (expr, what, col))

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, float, str)):
                return node.value
            bad(node, "unsupported constant")
        if isinstance(node, ast.Name):
            if node.id in cols:
                return cols[node.id]
            if node.id in _CONSTS:
                return _CONSTS[node.id]
            raise StoreError(
                "bad expression %r: unknown column '%s'%s" % (expr, node.id, _did_you_mean(node.id, cols.keys()))
            )
        if isinstance(node, ast.BoolOp):
            vals = [_truth(ev(v), n) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            if isinstance(node.op, ast.Not):
                return ~_truth(v, n)
            if isinstance(node.op, ast.USub):
                return -_num(v, node)
            if isinstance(node.op, ast.UAdd):
                return _num(v, node)
            bad(node, "unsupported operator")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                bad(node, "unsupported operator")
            with np.errstate(all="ignore"):
                return op(_num(ev(node.left), node.left), _num(ev(node.right), node.right))
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            out = np.ones(n, dtype=bool)
            for op, rnode in zip(node.ops, node.comparators):
                right = ev(rnode)
                f = _CMPOPS.get(type(op))
                if f is None:
                    bad(node, "unsupported comparison")
                ls, rs = _is_str(left), _is_str(right)
                if ls != rs:
                    bad(rnode, "cannot compare text with a number")
                if ls and type(op) not in (ast.Eq, ast.NotEq):
                    bad(rnode, "text compares only with == and !=")
                with np.errstate(invalid="ignore"):
                    out = out & np.broadcast_to(f(left, right), (n,))
                left = right
            return out
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords or len(node.args) != 1:
                bad(node, "only log10, log, exp, abs, sqrt of one argument are allowed")
            with np.errstate(all="ignore"):
                return _FUNCS[node.func.id](_num(ev(node.args[0]), node))
        bad(node, "unsupported syntax '%s'" % type(node).__name__)

    def _num(v, node):
        if _is_str(v):
            bad(node, "arithmetic on text")
        return np.asarray(v, dtype=float) if not isinstance(v, (int, float)) else v

    return ev(tree.body)


def _is_str(v):
    return isinstance(v, str) or (isinstance(v, np.ndarray) and v.dtype.kind in "US")


def _truth(v, n):
    if _is_str(v):
        raise StoreError("text used as a condition")
    a = np.asarray(v)
    if a.dtype == bool:
        return np.broadcast_to(a, (n,)).copy()
    with np.errstate(invalid="ignore"):
        return np.broadcast_to((a != 0) & ~np.isnan(a.astype(float)), (n,)).copy()


def where_mask(pts, expr):
    n = len(pts["index"])
    if not expr:
        return np.ones(n, dtype=bool)
    m = evaluate(expr, pts, n)
    return _truth(m, n)


def value(pts, expr):
    """A column by name, or a safe arithmetic expression over columns, as float array.
    An integer column's -1 ("never": iters_to_*; not fitted: rate_begin) is NaN,
    missing, as in lrsweep query (docs/store.md, "Missing values")."""
    n = len(pts["index"])
    if expr in pts:
        v = pts[expr]
        if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.signedinteger):
            v = np.where(v == -1, np.nan, v.astype(float))
    else:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr):
            check_column(pts, expr)
        v = evaluate(expr, pts, n)
    if _is_str(v):
        raise StoreError("column '%s' is text, not a number" % expr)
    return np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()


# ---------------------------------------------------------------------------------
# Phase boundaries: the rule of `lrsweep query --boundary` (include/lrsweep/query.h).

BOUNDARY_FIELDS = ("lo", "hi", "boundary", "below", "points", "flips", "generation")


def bracket_mid(lo, hi, log_scale):
    """The bracket's midpoint in the axis' scale, computed as lrs_query_bracket_mid."""
    return math.sqrt(lo) * math.sqrt(hi) if log_scale else lo + 0.5 * (hi - lo)


def boundary(sweep, axis, predicate=None, where=None, log=None):
    """Where `predicate` flips along `axis`, for every cell: every combination of the
    values of the other axis columns (seed included), over the computed rows
    (status != "pending") that `where` keeps.  Within a cell the rows are ordered by
    the axis value; the bracket is the FIRST adjacent pair whose outcomes differ.

    sweep      a Sweep (Store.sweep()), or a Store holding one sweep
    predicate  an expression string (the --where language) or a callable taking the
               points dict (every row) and returning one truth value per row;
               None: the sweep's [refine] predicate
    where      optional row filter (expression string)
    log        midpoint geometric (True) or arithmetic (False); None: the [refine]
               `scale` when `axis` is the [refine] axis, else the axis' `log_scale`

    Returns a list of dicts, one per cell in order of the cell's first row: the other
    axes' values, then lo, hi (NaN without a flip), boundary (the bracket's midpoint),
    below (whether the predicate holds at lo, or at the cell's first point without a
    flip), points, flips (number of adjacent pairs that differ), generation (largest
    among the cell's rows) -- the fields of `lrsweep query --boundary --format json` --
    and rows (the cell's row indices in axis order).
    """
    if isinstance(sweep, Store):
        sweep = sweep.sweep()
    pts = sweep.points()
    axes = sweep.axes()
    if axis not in axes or axis not in pts:
        raise StoreError("--boundary %s: not an axis of sweep '%s'" % (axis, sweep.name))
    if axes[axis]["type"] == "enum":
        raise StoreError("--boundary %s: expected a numeric axis" % axis)
    ref = None
    if predicate is None or log is None:
        ref = sweep.refine()
    if predicate is None:
        predicate = ref.get("predicate")
        if not predicate:
            raise StoreError("--boundary needs a predicate (sweep '%s' has no [refine] predicate)" % sweep.name)
    if log is None:
        if ref.get("axis") == axis and ref.get("scale") in ("log", "linear"):
            log = ref["scale"] == "log"
        else:
            log = bool(axes[axis]["log_scale"])
    n = len(pts["index"])
    mask = (pts["status"] != "pending") & where_mask(pts, where or "")
    if callable(predicate):
        holds = _truth(np.asarray(predicate(pts)), n)
    else:
        holds = where_mask(pts, predicate)
    cell_cols = [c for c in pts if c in axes and c != axis]
    x = np.asarray(pts[axis], dtype=float)
    gen = pts["generation"] if "generation" in pts else np.zeros(n, dtype=np.int32)
    cells = {}
    for r in np.flatnonzero(mask):
        k = tuple(pts[c][r].item() for c in cell_cols)
        cells.setdefault(k, []).append(int(r))
    out = []
    for k, rows in cells.items():
        rows = sorted(rows, key=lambda r: (x[r], r))
        xs = x[rows]
        same = np.flatnonzero(xs[1:] == xs[:-1])
        if same.size:
            i = int(same[0])
            raise StoreError("two points of one cell share %s = %s: the cell needs another axis (rows %d and %d)"
                             % (axis, _num_text(xs[i]), rows[i], rows[i + 1]))
        h = holds[rows]
        diff = np.flatnonzero(h[1:] != h[:-1])
        c = dict(zip(cell_cols, k))
        lo = int(diff[0]) if diff.size else 0
        c.update(lo=math.nan, hi=math.nan, boundary=math.nan, below=bool(h[lo]), points=len(rows),
                 flips=int(diff.size), generation=int(max(0, int(np.max(gen[rows])))), rows=np.array(rows))
        if diff.size:
            c["lo"], c["hi"] = float(xs[lo]), float(xs[lo + 1])
            c["boundary"] = bracket_mid(c["lo"], c["hi"], log)
        out.append(c)
    out.sort(key=lambda c: int(c["rows"].min()))
    return out


def _num_text(v):
    return ("%d" % v) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


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


class ArgumentParser(__import__("argparse").ArgumentParser):
    """argparse with one-line usage errors (exit 2)."""

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
