"""Phase diagram of an lrsweep store: a heatmap of COLUMN over two axes.

Each cell aggregates (median by default) COLUMN over the rows with that (x, y) —
over the seeds and any other axis not drawn; one panel per value of --facet.
Axes are logarithmic when the grid axis was a `log` range or its positive values
span more than two decades.  Cells where a point diverged or failed are hatched
(grey when every point of the cell failed); pending points are left out.

Heatmaps use the grid's own rows only (origin "grid"): rows added by refinement
([refine]: "bisect" points at off-grid axis values, extra "seed" replicates) would
otherwise add off-grid cells and weight some cells with more seeds than others.
--boundary [AXIS] draws the refined boundary on top instead: when AXIS (default the
sweep's [refine] axis) is --x or --y, for every value of the other drawn axis (and
facet) a marker at the boundary where --predicate (default the [refine] predicate)
first flips along AXIS -- `lrsweep query --boundary`, run by lrsweep.store.boundary(), over every computed row, grid and refinement alike -- at the median over
seeds (and any other axis not drawn: the legend names them) of the per-cell midpoints, with bars spanning
the cells' brackets (lowest lo to highest hi).  --where filters those rows too.

--z is a column of /sweeps/NAME/points or an arithmetic expression over columns,
e.g. "alpha1/alpha2" or "log10(final_loss)".  --where filters rows in the language
of `lrsweep query --where` (docs/store.md, "Queries"): comparisons (== != < <= > >=),
and/or/not (or && || !), numbers, "quoted" enum names, + - * /, log10/log/exp/sqrt/abs;
e.g.
    --where 'loss == "squared" and width >= 1000'

Examples:
    phase_diagram.py p1_fig1.h5 --x width --y sigma2 --z "alpha1/alpha2" \\
        --facet step_rule -o alpha.png
    phase_diagram.py p1_critical_step.h5 --x width --y step_size --z final_loss \\
        --facet init_scale --boundary -o edge.png
Exit 2 with one line for a bad store, sweep, column or expression.
"""

import sys

import numpy as np

from .. import store as lrsstore
from ..store import StoreError
from . import plotutil


def _mpl():
    global plt, mcolors, Patch, Rectangle
    plt = plotutil.pyplot()
    import matplotlib.colors as mcolors
    from matplotlib.patches import Patch, Rectangle

AGGS = {
    "median": np.nanmedian,
    "mean": np.nanmean,
    "min": np.nanmin,
    "max": np.nanmax,
    "count": lambda v: float(np.sum(np.isfinite(v))),
}


def edges(vals, log):
    """Cell edges around sorted numeric centres (geometric midpoints on a log axis)."""
    v = np.asarray(vals, dtype=float)
    if v.size == 1:
        return (np.array([v[0] / 2, v[0] * 2]) if log else np.array([v[0] - 0.5, v[0] + 0.5])) if v[0] != 0 or not log else np.array([-0.5, 0.5])
    t = np.log10(v) if log else v
    mid = (t[1:] + t[:-1]) / 2
    e = np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])
    return 10.0**e if log else e


class AxisSpec:
    def __init__(self, pts, col, axes, mask):
        self.col = col
        self.values = plotutil.ordered_values(pts, col, axes, mask)
        # A grid axis is categorical: one equal cell per grid value (a log grid's
        # last decade does not take half the plot).
        self.text = any(isinstance(x, str) for x in self.values)
        self.categorical = self.text or col in axes
        if not self.text:
            self.values = sorted(self.values)
        self.scale_log = (not self.text) and lrsstore.is_log_axis(self.values, axes.get(col))
        self.log = self.scale_log and not self.categorical
        if self.categorical or len(self.values) == 0:
            self.edges = np.arange(len(self.values) + 1) - 0.5
            self.centres = np.arange(len(self.values), dtype=float)
        else:
            self.edges = edges(self.values, self.log)
            self.centres = np.asarray(self.values, dtype=float)
        self.pos = {v: i for i, v in enumerate(self.values)}

    def to_pos(self, v):
        """Where value v (e.g. a boundary between grid values) sits on the drawn axis."""
        if not self.categorical or self.text:
            return np.asarray(v, dtype=float)
        t = np.asarray(self.values, dtype=float)
        f = np.log10 if self.scale_log else (lambda x: x)
        with np.errstate(all="ignore"):
            return np.interp(f(np.asarray(v, dtype=float)), f(t), self.centres)

    def apply(self, ax, which):
        setlim = ax.set_xlim if which == "x" else ax.set_ylim
        setscale = ax.set_xscale if which == "x" else ax.set_yscale
        if self.log:
            setscale("log")
        setlim(self.edges[0], self.edges[-1])
        if self.categorical or len(self.values) <= 12:
            plotutil.category_ticks(ax, which, self.centres, [plotutil.fmt(v) for v in self.values])
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(plotutil.axis_label(self.col))


def main():
    p = plotutil.parser("phase_diagram.py", __doc__)
    p.add_argument("--x", required=True, help="column on the horizontal axis (usually a grid axis)")
    p.add_argument("--y", required=True, help="column on the vertical axis")
    p.add_argument("--z", default="rate", help="colour: column or expression (default rate)")
    p.add_argument("--facet", help="one panel per value of this column")
    plotutil.add_where(p, "see below")
    p.add_argument("--agg", default="median", choices=sorted(AGGS), help="aggregate over seeds etc. (median)")
    p.add_argument("--log-z", choices=["auto", "yes", "no"], default="auto",
                   help="log colour scale (auto: positive values spanning > 2 decades)")
    p.add_argument("--boundary", nargs="?", const="", metavar="AXIS",
                   help="overlay the refined boundary along AXIS (default: the [refine] axis); AXIS is --x or --y")
    p.add_argument("--predicate", help="with --boundary: the predicate (default: the sweep's [refine] predicate)")
    a = plotutil.parse(p, "phase_diagram.png")
    plotutil.distinct(a, "x", "y", "facet")

    if a.predicate is not None and a.boundary is None:
        raise StoreError("--predicate goes with --boundary")
    with plotutil.open_sweep(a) as (st, name, pts, axes):
        for c in (a.x, a.y) + ((a.facet,) if a.facet else ()):
            lrsstore.check_column(pts, c)
        bd = _boundary(st.sweep(name), a, axes) if a.boundary is not None else None
    z = lrsstore.value(pts, a.z)
    mask = plotutil.selected(pts, a, lrsstore.grid_mask(pts), "computed point")
    mask = plotutil.drop_missing(pts, mask, [("--x", a.x), ("--y", a.y), ("--facet", a.facet)])
    failed = np.isin(pts["status"], lrsstore.FAILED)
    _mpl()
    plotutil.apply_style(a)

    xs = AxisSpec(pts, a.x, axes, mask)
    ys = AxisSpec(pts, a.y, axes, mask)
    facets = plotutil.ordered_values(pts, a.facet, axes, mask) if a.facet else [None]
    others = [c for c in plotutil.group_axes(pts, axes, mask) if c not in (a.x, a.y, a.facet)]
    if others:
        print("phase_diagram.py: note: %s of %s also aggregated over %s"
              % (a.agg, a.z, ", ".join(others)), file=sys.stderr)

    grids, fails, counts = [], [], []
    for fv in facets:
        G = np.full((len(ys.values), len(xs.values)), np.nan)
        F = np.zeros_like(G)
        C = np.zeros_like(G)
        fm = mask if fv is None else mask & (pts[a.facet] == fv)
        for (xv, yv), rows in _cells(pts, a.x, a.y, fm):
            i, j = ys.pos[yv], xs.pos[xv]
            zz = z[rows][~failed[rows]]
            zz = zz[np.isfinite(zz)]
            C[i, j] = rows.size
            F[i, j] = failed[rows].mean()
            if a.agg == "count":
                G[i, j] = float(zz.size)
            elif zz.size:
                G[i, j] = AGGS[a.agg](zz)
        grids.append(G)
        fails.append(F)
        counts.append(C)

    allz = np.concatenate([g[np.isfinite(g)] for g in grids]) if grids else np.array([])
    uselog = {"yes": True, "no": False}.get(a.log_z)
    if uselog is None:
        uselog = allz.size > 0 and bool(np.all(allz > 0)) and allz.max() / allz.min() > 100
    if uselog and allz.size and np.any(allz <= 0):
        raise StoreError("--log-z yes but %s has values <= 0" % a.z)
    if allz.size == 0:
        norm = mcolors.Normalize(0, 1)
    elif uselog:
        norm = mcolors.LogNorm(allz.min(), allz.max())
    else:
        lo, hi = allz.min(), allz.max()
        norm = mcolors.Normalize(lo, hi if hi > lo else lo + (abs(lo) * 1e-3 or 1.0))

    nf = len(facets)
    ncol = min(nf, 3)
    nrow = (nf + ncol - 1) // ncol
    fig, axs = plt.subplots(nrow, ncol, figsize=plotutil.figsize(a, 4.6 * ncol + 1.2, 3.9 * nrow, ncol),
                            squeeze=False, constrained_layout=True)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("white")
    mesh = None
    anyfail = allfail = nothing = False
    bd_handle = None
    cell_texts, marks = [], []  # (axes, text, cell edges), (axes, boundary marks)
    for k, fv in enumerate(facets):
        ax = axs[k // ncol][k % ncol]
        G, F, C = grids[k], fails[k], counts[k]
        mesh = ax.pcolormesh(xs.edges, ys.edges, np.ma.masked_invalid(G), cmap=cmap, norm=norm, shading="flat")
        for i in range(G.shape[0]):
            for j in range(G.shape[1]):
                x0, x1 = xs.edges[j], xs.edges[j + 1]
                y0, y1 = ys.edges[i], ys.edges[i + 1]
                every = C[i, j] > 0 and F[i, j] == 1
                if C[i, j] > 0 and not every and not np.isfinite(G[i, j]):
                    nothing = True  # white: computed, but no value (never reached, not fitted)
                if F[i, j] > 0:
                    # grey: every point failed; hatched over the cell's colour (or over
                    # white, no value, when the points that ran have none): some did
                    anyfail = anyfail or not every
                    allfail = allfail or every
                    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="0.75" if every else "none",
                                           edgecolor="red", hatch="xx", linewidth=0.8, alpha=0.9))
                if G.size <= 100 and np.isfinite(G[i, j]):
                    xc = _within(x0, x1, 0.5, xs.log)
                    yc = _within(y0, y1, 0.5, ys.log)
                    rgba = cmap(norm(G[i, j]))
                    dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
                    t = ax.text(xc, yc, "%.3g" % G[i, j], ha="center", va="center",
                                fontsize=7 if a.style != "paper" else 5.5,
                                color="white" if dark else "black")
                    cell_texts.append((ax, t, (x0, x1, y0, y1)))
        xs.apply(ax, "x")
        ys.apply(ax, "y")
        if fv is not None:
            ax.set_title(plotutil.value_label({a.facet: fv}))
        if bd is not None:
            drawn = _draw_boundary(ax, bd, pts, a, xs, ys, fv)
            if drawn is not None:
                bd_handle = drawn[0]
                marks.append((ax, drawn[1]))
    for k in range(nf, nrow * ncol):
        axs[k // ncol][k % ncol].set_visible(False)
    nseeds = int(np.max([c.max() for c in counts])) if counts else 0
    cb = fig.colorbar(mesh, ax=axs.ravel().tolist(), shrink=0.9)
    cb.set_label("%s of %s (≤ %d points per cell)" % (a.agg, plotutil.symbol(a.z), nseeds))
    handles = []
    if anyfail:
        handles.append(Patch(facecolor="none", edgecolor="red", hatch="xx", label="some points diverged / failed"))
    if allfail:
        handles.append(Patch(facecolor="0.75", edgecolor="red", hatch="xx", label="every point diverged / failed"))
    if nothing:
        handles.append(Patch(facecolor="white", edgecolor="0.5", label="no value (never reached / not fitted)"))
    if bd_handle is not None:
        handles.append(bd_handle)
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0), ncol=min(2, len(handles)),
                   fontsize=8 if a.style != "paper" else 6.5, frameon=False)
    fig.suptitle(a.title or "%s: %s over %s × %s" % (name, plotutil.symbol(a.z), plotutil.symbol(a.x), plotutil.symbol(a.y)))
    if marks:
        _uncover(fig, cell_texts, marks, xs, ys, bd["axis"] == a.y)
    plotutil.savefig(fig, a)
    print("wrote %s (%d panel%s, %d points)" % (a.output, nf, "s" if nf > 1 else "", int(mask.sum())))
    return 0


def _boundary(sweep, a, axes):
    """The refined boundary's cells (lrsstore.boundary) and what to draw them with."""
    axis = a.boundary
    if not axis:
        axis = sweep.refine().get("axis")
        if not axis:
            raise StoreError("--boundary: sweep '%s' has no [refine] axis; give --boundary AXIS" % sweep.name)
    if axis not in (a.x, a.y):
        raise StoreError("--boundary %s: the boundary axis must be drawn (--x or --y)" % axis)
    other = a.y if axis == a.x else a.x
    if other not in axes:
        raise StoreError("--boundary: the other drawn column '%s' must be a grid axis" % other)
    if a.facet and a.facet not in axes:
        raise StoreError("--boundary: --facet '%s' must be a grid axis" % a.facet)
    cells = lrsstore.boundary(sweep, axis, a.predicate, where=a.where or None)
    pred = a.predicate or sweep.refine().get("predicate", "")
    flipped = [c for c in cells if c["flips"] > 0]
    if len(flipped) < len(cells):
        print("phase_diagram.py: note: %d of %d cells have no flip of %s along %s (not drawn)"
              % (len(cells) - len(flipped), len(cells), pred, axis), file=sys.stderr)
    skip = {axis, other, a.facet, "seed"}
    pooled = [c for c in axes if c not in skip and len({cell[c] for cell in flipped if c in cell}) > 1]
    return {"axis": axis, "other": other, "cells": flipped, "predicate": pred, "pooled": pooled}


def _draw_boundary(ax, bd, pts, a, xs, ys, fv):
    """Markers at the median boundary per value of the other drawn axis; bars: brackets.
    Returns the artist for the legend (None when the panel has no boundary)."""
    axis, other = bd["axis"], bd["other"]
    ospec = ys if other == a.y else xs
    by = {}
    for c in bd["cells"]:
        if fv is not None and c[a.facet] != _item(fv):
            continue
        ov = c[other]
        if ov in ospec.pos:
            by.setdefault(ov, []).append(c)
    if not by:
        return None
    pos, mid, lo, hi, nmax = [], [], [], [], 0
    for ov, cs in sorted(by.items(), key=lambda kv: ospec.pos[kv[0]]):
        pos.append(ospec.centres[ospec.pos[ov]])
        mid.append(float(np.median([c["boundary"] for c in cs])))
        lo.append(min(c["lo"] for c in cs))
        hi.append(max(c["hi"] for c in cs))
        nmax = max(nmax, len(cs))
    spec = xs if axis == a.x else ys  # boundary values on the drawn (categorical) axis
    mid, lo, hi = spec.to_pos(mid), spec.to_pos(lo), spec.to_pos(hi)
    err = np.vstack([mid - lo, hi - mid])
    kw = dict(fmt="D", color="#ff7f0e", markeredgecolor="black", markersize=6, ecolor="black",
              elinewidth=1.2, capsize=4, zorder=5,
              label="first flip of %s along %s: median over %s (≤ %d cells per marker);\n"
              "bars: lowest lo to highest hi of their brackets"
              % (bd["predicate"], plotutil.symbol(axis), ", ".join(["seeds"] + bd["pooled"]), nmax))
    # (centre, from, to) of each mark along the drawn axes: the marker at (pos, mid),
    # its bar from lo to hi (data coordinates); _uncover keeps the cell values off them.
    spans = [(p, m, l, h) for p, m, l, h in zip(pos, mid, lo, hi)]
    if axis == a.y:
        return ax.errorbar(pos, mid, yerr=err, **kw), spans
    return ax.errorbar(mid, pos, xerr=err, **kw), spans


MARK_PT = (6 / 2 + 1.5, 4 + 1.5)  # half the marker (markersize 6) and the caps (capsize 4), plus a gap


def _uncover(fig, cell_texts, marks, xs, ys, along_y):
    """Moves each cell value that a boundary marker or bar would cover to the free side of
    its cell (left, else right; below, else above), and leaves it out when neither is
    free (the cell's colour still shows it): the printed numbers are never hidden."""
    fig.canvas.draw()  # the final layout (constrained_layout) before measuring
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72.0
    boxes = {}
    for ax, spans in marks:
        out = boxes.setdefault(ax, [])
        for p, m, lo, hi in spans:
            xy = np.array([[p, m], [p, lo], [p, hi]] if along_y else [[m, p], [lo, p], [hi, p]], dtype=float)
            d = ax.transData.transform(xy)
            r, c = MARK_PT[0] * px, MARK_PT[1] * px
            out.append((d[0, 0] - r, d[0, 0] + r, d[0, 1] - r, d[0, 1] + r))  # the marker
            if along_y:  # the bar and its caps
                out.append((d[0, 0] - c, d[0, 0] + c, min(d[1:, 1]), max(d[1:, 1])))
            else:
                out.append((min(d[1:, 0]), max(d[1:, 0]), d[0, 1] - c, d[0, 1] + c))

    def covered(ax, t):
        b = t.get_window_extent(renderer)
        return any(b.x0 < x1 and x0 < b.x1 and b.y0 < y1 and y0 < b.y1 for x0, x1, y0, y1 in boxes.get(ax, ()))

    for ax, t, (x0, x1, y0, y1) in cell_texts:
        if not covered(ax, t):
            continue
        for f in (0.2, 0.8):
            t.set_position((_within(x0, x1, f, xs.log), _within(y0, y1, 0.5, ys.log)) if along_y
                           else (_within(x0, x1, 0.5, xs.log), _within(y0, y1, f, ys.log)))
            if not covered(ax, t):
                break
        else:
            t.set_visible(False)


def _within(e0, e1, f, log):
    """The point a fraction f of the way across the cell [e0, e1] (geometric on a log axis)."""
    return e0 * (e1 / e0) ** f if log else e0 + f * (e1 - e0)


def _item(v):
    return v.item() if hasattr(v, "item") else v


def _cells(pts, xc, yc, mask):
    for d, rows in plotutil.groups(pts, [xc, yc], mask):
        yield (d[xc], d[yc]), rows


if __name__ == "__main__":
    lrsstore.main_guard(main)
