"""Shared plotting helpers of the figure scripts (matplotlib, Agg backend): the
papers' symbols for columns, shortest-decimal tick labels, the command line every
script shares (the store, --sweep, --where, --title) and opening its sweep, the
output options (--format, --dpi, --style paper) and saving."""

import contextlib
import math
import os
import re
import sys

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
    """A value for people: names as they are, numbers as the shortest decimal that
    reads back to them (0.001, 1e-5, 4000, 2.5e6), never 17 digits."""
    if isinstance(v, (str, np.str_)):
        return str(v)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).lower()
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    f = float(v)
    if not math.isfinite(f):
        return repr(f)
    if f.is_integer() and abs(f) < 1e5:
        return str(int(f))
    if f != 0 and (abs(f) >= 1e5 or abs(f) < 1e-3):
        m, e = np.format_float_scientific(f, unique=True, trim="-").split("e")
        return "%se%d" % (m, int(e))
    return np.format_float_positional(f, unique=True, trim="-")


# The papers' symbols (papers.md): h the width, σ² the label noise, η the step size,
# α the initialization scale, α1/α2 [P1]'s ratio; as mathtext.
SYMBOLS = {
    "width": "h", "sigma2": r"\sigma^2", "step_size": r"\eta", "init_scale": r"\alpha",
    "alpha1": r"\alpha_1", "alpha2": r"\alpha_2", "alpha2_fro": r"\alpha_{2,F}",
    "eta_max": r"\eta_{\max}", "lora_rank": "r", "final_loss": "L", "rate": r"\hat\rho",
    "asymptotic_rate": r"\rho_\infty", "init_exponent": r"\gamma", "rho_bar0": r"\bar\rho_0",
    "log10": r"\log_{10}", "log": r"\ln", "exp": r"\exp", "sqrt": r"\sqrt", "abs": r"\mathrm{abs}",
}
NAMES = {
    "width": "width", "sigma2": "noise", "step_size": "step size", "init_scale": "init scale",
    "eta_max": "[P1] step bound", "lora_rank": "LoRA rank", "final_loss": "final loss",
    "rate": "measured rate", "asymptotic_rate": "theory rate", "init_exponent": "init exponent",
    "iters_to_3": "iterations to L ≤ 1e-3", "iters_to_6": "iterations to L ≤ 1e-6",
    "iters_to_10": "iterations to L ≤ 1e-10",
}


def _math(name):
    return SYMBOLS.get(name, r"\mathrm{%s}" % name.replace("_", r"\_"))


def symbol(text):
    """An expression over columns (or one column) in the papers' symbols, as mathtext:
    alpha1/alpha2 -> $\\alpha_1/\\alpha_2$, log10(final_loss) -> $\\log_{10}(L)$."""
    out = []
    for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\S", text):
        if re.match(r"[A-Za-z_]", tok):
            out.append(_math(tok))
        elif tok == "*":
            out.append(r"\cdot ")
        elif tok in ("&", "|", "=", "!", "<", ">"):
            out.append(tok.replace("<", "<").replace(">", ">"))
        else:
            out.append(tok)
    return "$" + "".join(out) + "$"


def axis_label(col):
    """An axis label: the name and the paper's symbol, e.g. "step size $\\eta$"."""
    if col in NAMES and col in SYMBOLS:
        return "%s $%s$" % (NAMES[col], SYMBOLS[col])
    if col in NAMES:
        return NAMES[col]
    return symbol(col)


def value_label(d):
    """A group's label in symbols: {"width": 100, "sigma2": 0.1} -> "$h$=100, $\\sigma^2$=0.1"."""
    return ", ".join("%s=%s" % (("$%s$" % SYMBOLS[k]) if k in SYMBOLS else k, fmt(v)) for k, v in d.items()) or "all points"


def category_ticks(ax, which, positions, labels, max_labels=8):
    """Ticks at `positions` labelled `labels`: every k-th when there are more than
    max_labels, x labels rotated when long."""
    k = max(1, int(math.ceil(len(labels) / float(max_labels))))
    pos = list(positions)[::k]
    lab = list(labels)[::k]
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xticks if which == "x" else ax.set_yticks)(pos)
    (ax.set_xticklabels if which == "x" else ax.set_yticklabels)(lab)
    axis.set_minor_locator(pyplot().NullLocator())
    if which == "x" and len(lab) > 3 and max(len(t) for t in lab) > 4:
        for t in ax.get_xticklabels():
            t.set_rotation(40)
            t.set_ha("right")


# ---- the command line and the store ---------------------------------------------------


def parser(prog, doc):
    """A figure script's argument parser: --help from its docstring, one-line usage
    errors (lrsstore.ArgumentParser), the store and --sweep."""
    p = lrsstore.ArgumentParser(prog=prog, doc=doc)
    p.add_argument("store", help="lrsweep store (HDF5)")
    p.add_argument("--sweep", help="sweep name (default: the store's only sweep)")
    return p


def add_where(p, note):
    """--where: the rows to draw, in the language of `lrsweep query --where`."""
    p.add_argument("--where", default="", help="row filter expression (%s)" % note)


def distinct(a, *options):
    """StoreError when two of the given options (attribute names of `a`, e.g. "x", "y",
    "facet") name the same column: one would show nothing the other does not."""
    given = [(o, getattr(a, o)) for o in options if getattr(a, o, None)]
    for i, (o1, c1) in enumerate(given):
        for o2, c2 in given[i + 1:]:
            if c1 == c2:
                raise lrsstore.StoreError("--%s and --%s are both %s: give two different columns" % (o1, o2, c1))


def parse(p, default_output):
    """Adds --title and the output options (last), parses the command line and checks
    the output (check_output) before any work."""
    p.add_argument("--title", help="figure title")
    add_output_args(p, default_output)
    a = p.parse_args()
    check_output(a)
    return a


@contextlib.contextmanager
def open_sweep(a):
    """The store a.store, open, with its sweep a.sweep (default: the store's only one):
    (store, sweep name, points, axes)."""
    with lrsstore.Store(a.store) as st:
        name = st.sweep_name(a.sweep)
        yield st, name, st.points(name), st.axes(name)


def selected(pts, a, keep, what):
    """The rows to draw: computed (not pending), kept by --where (a.where) and by the
    script's own mask `keep`; StoreError "no WHAT matches --where ..." when none is."""
    mask = lrsstore.where_mask(pts, a.where) & (pts["status"] != "pending") & keep
    if not mask.any():
        raise lrsstore.StoreError("no %s matches%s" % (what, " --where %r" % a.where if a.where else ""))
    return mask


def drop_missing(pts, mask, options):
    """Rows `mask` less those where a real column drawn by value -- options is
    [(option, column or None)], e.g. [("--y", "step_size")] -- holds NaN, no value (a
    parameter not set, as step_size under the local rule without η0: η_max is used):
    such rows fit no cell, colour or panel.  A note on stderr says how many are left
    out; StoreError (one line) when none is left."""
    keep = np.array(mask, dtype=bool)
    for opt, col in options:
        if col is None:
            continue
        v = np.asarray(pts[col])
        if v.dtype.kind != "f":
            continue
        nan = keep & np.isnan(v)
        if not nan.any():
            continue
        if nan.sum() == keep.sum():
            raise lrsstore.StoreError("%s %s: no selected point has a value (NaN: not set for these points)"
                                      % (opt, col))
        print("%s: note: %d of %d points have no %s (NaN) and are left out"
              % (os.path.basename(sys.argv[0]), int(nan.sum()), int(keep.sum()), col), file=sys.stderr)
        keep &= ~nan
    return keep


def read_sweep(a):
    """(sweep name, points, axes) of open_sweep(a), the store closed again."""
    with open_sweep(a) as (_, name, pts, axes):
        return name, pts, axes


# ---- output -------------------------------------------------------------------------

FORMATS = ("pdf", "svg", "png")
PAPER_WIDTH = (3.4, 7.0)  # inches: one column, both columns of a two-column paper


def add_output_args(p, default):
    p.add_argument("-o", "--output", default=default,
                   help="output file (default %s); its suffix picks the format" % default)
    p.add_argument("--format", choices=FORMATS, help="pdf, svg or png (default: from -o's suffix)")
    p.add_argument("--dpi", type=int, default=200, help="resolution of PNG output (default 200)")
    p.add_argument("--style", choices=("screen", "paper"), default="screen",
                   help="paper: 8-pt fonts and widths of a two-column paper (3.4 in, 7 in for several panels)")


def check_output(a):
    """The output path and format (checked before any work)."""
    root, ext = os.path.splitext(a.output)
    ext = ext[1:].lower()
    if a.format and ext and ext != a.format:
        raise lrsstore.StoreError("-o %s but --format %s: give one or make them agree" % (a.output, a.format))
    fmt_ = a.format or ext or "png"
    if fmt_ not in FORMATS:
        raise lrsstore.StoreError("-o %s: unknown image format '%s' (pdf, svg, png)" % (a.output, fmt_))
    if not ext:
        a.output = "%s.%s" % (a.output, fmt_)
    a.format = fmt_
    d = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(d):
        raise lrsstore.StoreError("%s: output directory does not exist" % a.output)
    if a.dpi <= 0 or a.dpi > 2400:
        raise lrsstore.StoreError("--dpi %d: expected 1..2400" % a.dpi)


def figsize(a, w, h, panels=1):
    """(w, h) inches on screen; for --style paper scaled to a paper column's width."""
    if getattr(a, "style", "screen") != "paper":
        return (w, h)
    pw = PAPER_WIDTH[0] if panels <= 1 else PAPER_WIDTH[1]
    return (pw, h * pw / w)


def apply_style(a):
    plt = pyplot()
    if getattr(a, "style", "screen") == "paper":
        plt.rcParams.update({"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
                             "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
                             "lines.linewidth": 1.1, "figure.titlesize": 9, "font.family": "serif",
                             "mathtext.fontset": "dejavuserif", "pdf.fonttype": 42})
    return plt


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


def savefig(fig, a, **kw):
    """Writes the figure and closes it: as a.output in a.format (check_output) at a.dpi,
    cropped to what is drawn; given a path instead, with matplotlib's keywords `kw`."""
    if isinstance(a, str):
        fig.savefig(a, **kw)
    else:
        fig.savefig(a.output, format=a.format, dpi=a.dpi, bbox_inches="tight")
    pyplot().close(fig)
