"""The refined critical step of a sweep against width, next to the theory columns.

For a store of sweeps/p1_critical_step.toml (or any sweep with a [refine] bisection):
per cell -- every combination of the axes other than the refined one -- the first
flip of the predicate along the refined axis (`lrsweep query --boundary`, run by
lrsweep.store.boundary(); default the sweep's [refine] axis and predicate).  The
cells are grouped by --x (width) and --color (init_scale); per group the table and
the figure show

  boundary   median over seeds (and any other axis) of the cells' midpoints
  bracket    lowest lo .. highest hi of those cells' brackets
  eta_max    median over seeds of the points column eta_max ([P1] §1.5)
  2/K_t(0)   median over seeds of 2/K_t of the first trajectory record (step 0)
  ratios     boundary/eta_max and boundary/(2/K_t(0))

eta_max and K_t(0) come from grid rows only (origin "grid"), for each seed the grid
point with the smallest value of the refined axis: K_t(η) is the local smoothness at
step η and grows with η, so the smallest grid step gives the smoothness of the
initial point itself (eta_max depends on the initial point only).

Example:
    mpirun -np 3 lrsweep sweeps/p1_critical_step.toml
    critical_step.py p1_critical_step.h5 -o critical_step.png
Exit 2 with one line for a bad store, sweep, column or expression, or a store
without any flip.
"""

import math
import re

import numpy as np

from .. import store as lrsstore
from ..store import StoreError
from . import plotutil


def collect(sweep, axis=None, predicate=None, x="width", color="init_scale", where=None):
    """The table's rows: a list of dicts (x, color, seeds, flipped, boundary, lo, hi,
    eta_max, two_over_kt0, ratio_eta_max, ratio_kt0), in (color, x) order."""
    ref = sweep.refine()
    axis = axis or ref.get("axis")
    if not axis:
        raise StoreError("sweep '%s' has no [refine] axis; give --axis" % sweep.name)
    axes = sweep.axes()
    for c in (x, color):
        if c not in axes:
            raise StoreError("--%s %s: not an axis of sweep '%s'%s" % (
                "x" if c == x else "color", c, sweep.name, lrsstore._did_you_mean(c, axes.keys())))
    if axis in (x, color):
        raise StoreError("--x and --color must differ from the refined axis %s" % axis)
    pts = sweep.points()
    if where and not (lrsstore.where_mask(pts, where) & (pts["status"] != "pending")).any():
        raise StoreError("no computed point matches --where %r" % where)  # not "no flip"
    cells = lrsstore.boundary(sweep, axis, predicate, where=where)
    groups = {}
    for c in cells:
        groups.setdefault((c[color], c[x]), []).append(c)
    if not any(c["flips"] for c in cells):
        raise StoreError("no cell of sweep '%s' has a flip of %s along %s"
                         % (sweep.name, predicate or ref.get("predicate"), axis))
    grid = lrsstore.grid_mask(pts) & (pts["status"] != "pending") & lrsstore.where_mask(pts, where or "")
    seeds = pts["seed"] if "seed" in pts else np.zeros(len(pts["index"]), dtype=np.int64)
    out = []
    for (cv, xv), cs in sorted(groups.items()):
        fl = [c for c in cs if c["flips"]]
        row = {x: xv, color: cv, "cells": len(cs), "flipped": len(fl),
               "boundary": float(np.median([c["boundary"] for c in fl])) if fl else math.nan,
               "lo": min(c["lo"] for c in fl) if fl else math.nan,
               "hi": max(c["hi"] for c in fl) if fl else math.nan}
        g = np.flatnonzero(grid & (pts[x] == xv) & (pts[color] == cv))
        em, kt = [], []
        for s in np.unique(seeds[g]):
            gs = g[seeds[g] == s]
            r = int(gs[np.argmin(np.asarray(pts[axis][gs], dtype=float))])
            em.append(float(pts["eta_max"][r]))
            tr = sweep.trajectory(r)
            kt.append(2.0 / float(tr["K_t"][0]) if tr["K_t"].size else math.nan)
        row["eta_max"] = float(np.nanmedian(em)) if np.isfinite(em).any() else math.nan
        row["two_over_kt0"] = float(np.nanmedian(kt)) if np.isfinite(kt).any() else math.nan
        with np.errstate(all="ignore"):
            row["ratio_eta_max"] = row["boundary"] / row["eta_max"]
            row["ratio_kt0"] = row["boundary"] / row["two_over_kt0"]
        out.append(row)
    return axis, out


def num(v):
    """A table value as a person writes it: 4 significant digits (1.298, 0.001144,
    713.4, 1.338e44), "nan" for no value; collect() keeps the full values."""
    if not math.isfinite(v):
        return "nan"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m.group(1).replace("+", "") + m.group(2), "%.4g" % v)


def table(rows, x, color):
    """The printed table: one header line, then one line per (color, x) group."""
    cols = [x, color, "seeds", "boundary", "lo", "hi", "eta_max", "2/K_t(0)",
            "boundary/eta_max", "boundary/(2/K_t(0))"]
    lines = [cols]
    for r in rows:
        lines.append([plotutil.fmt(r[x]), plotutil.fmt(r[color]), "%d/%d" % (r["flipped"], r["cells"]),
                      num(r["boundary"]), num(r["lo"]), num(r["hi"]), num(r["eta_max"]),
                      num(r["two_over_kt0"]), num(r["ratio_eta_max"]), num(r["ratio_kt0"])])
    w = [max(len(l[k]) for l in lines) for k in range(len(cols))]
    return "\n".join("  ".join(v.rjust(w[k]) for k, v in enumerate(l)) for l in lines)


def main():
    p = plotutil.parser("critical_step.py", __doc__)
    p.add_argument("--axis", help="the refined axis (default: the sweep's [refine] axis)")
    p.add_argument("--predicate", help="the flipping predicate (default: the sweep's [refine] predicate)")
    p.add_argument("--x", default="width", help="horizontal axis (default width)")
    p.add_argument("--color", default="init_scale", help="one line per value of this axis (default init_scale)")
    plotutil.add_where(p, "phase_diagram.py's language")
    a = plotutil.parse(p, "critical_step.png")
    plotutil.distinct(a, "x", "color")

    with plotutil.open_sweep(a) as (st, name, _, axes):
        axis, rows = collect(st.sweep(name), a.axis, a.predicate, a.x, a.color, a.where or None)
        log_x = lrsstore.is_log_axis(axes[a.x]["values"], axes[a.x])
    print(table(rows, a.x, a.color))

    plt = plotutil.apply_style(a)
    fig, ax = plt.subplots(figsize=plotutil.figsize(a, 7.2, 5.0), constrained_layout=True)
    cvals = sorted({r[a.color] for r in rows})
    for k, cv in enumerate(cvals):
        rs = [r for r in rows if r[a.color] == cv]
        xv = np.array([r[a.x] for r in rs], dtype=float)
        b = np.array([r["boundary"] for r in rs])
        err = np.vstack([b - np.array([r["lo"] for r in rs]), np.array([r["hi"] for r in rs]) - b])
        col = "C%d" % k
        ax.errorbar(xv, b, yerr=err, fmt="o-", color=col, capsize=3, lw=1.8,
                    label=plotutil.value_label({a.color: cv}))
        ax.plot(xv, [r["two_over_kt0"] for r in rs], "s--", color=col, lw=1.0, ms=4, alpha=0.9)
        ax.plot(xv, [r["eta_max"] for r in rs], "^:", color=col, lw=1.0, ms=4, alpha=0.9)
    # η_max can be dozens of decades below the boundary (the bound is conservative):
    # the axis spans at most three decades below the lowest boundary or 2/K_t(0), and
    # η_max points beneath that are drawn on the edge (their values are in the printed
    # table); otherwise it ends a factor 2 below the lowest value drawn.
    near = [v for r in rows for v in (r["lo"], r["two_over_kt0"]) if np.isfinite(v) and v > 0]
    floor = min(near) / 1e3 if near else None
    below = False
    if floor is not None:
        for k, cv in enumerate(cvals):
            rs = [r for r in rows if r[a.color] == cv]
            low = [(r[a.x], r["eta_max"]) for r in rs if np.isfinite(r["eta_max"]) and r["eta_max"] < floor]
            if low:
                below = True
                ax.plot([x for x, _ in low], [floor] * len(low), "v", color="C%d" % k, ms=7,
                        markeredgecolor="black", clip_on=False, zorder=5)
        drawn = [v for r in rows for v in (r["lo"], r["hi"], r["two_over_kt0"], r["eta_max"])
                 if np.isfinite(v) and v > 0]
        top = max(drawn)
        ax.set_ylim(max(floor, min(drawn) / 2), top * 3)
    from matplotlib.lines import Line2D

    style = [Line2D([], [], color="0.3", marker="o", ls="-", label="refined critical %s (median over seeds)" % plotutil.symbol(axis)),
             Line2D([], [], color="0.3", marker="s", ls="--", label=r"$2/K_t(0)$"),
             Line2D([], [], color="0.3", marker="^", ls=":", label=r"$\eta_{\max}$ [P1]")]
    if below:
        style.append(Line2D([], [], color="0.3", marker="v", ls="none", markeredgecolor="black",
                            label=r"$\eta_{\max}$ below the axis (see the table)"))
    # Both legends below the axes, never over the data: the line kinds, then a colour
    # per --color value.
    colours, _ = ax.get_legend_handles_labels()
    fig.legend(handles=style + colours, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=2, fontsize=8 if a.style != "paper" else 6.5, frameon=False)
    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(plotutil.axis_label(a.x))
    ax.set_ylabel("critical " + plotutil.axis_label(axis))
    vals = sorted({r[a.x] for r in rows})
    if not log_x or len(vals) <= 8:  # the grid's own values as ticks (100, 400, 1600)
        plotutil.category_ticks(ax, "x", vals, [plotutil.fmt(v) for v in vals])
    ax.grid(True, which="both", alpha=0.25)
    ax.set_title(a.title or "%s: critical %s vs %s" % (name, plotutil.symbol(axis), plotutil.symbol(a.x)))
    plotutil.savefig(fig, a)
    print("wrote %s (%d groups)" % (a.output, len(rows)))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
