"""Loss trajectories of an lrsweep store: log10 L against iteration (GD) or GF time.

Points are grouped by the grid axes (other than seed) that vary among the selected
points; each group is drawn as the mean ± std over its seeds of log10 L (shaded).
For two_layer points the theory bounds recorded beside each run are drawn dashed in
the same colour: Π ρ(η_k, k)·L0 (bound_local, --), Π ρ̄(η_k, k)·L0 (bound_global, -.)
and L0 ρ̄(η0, 0)^t (bound_const, :), each as the mean of log10 over seeds.  For lora
points two more panels show log10(1 − |cos(γ1, U_Z1)|) and ‖Z1‖_F.

Example:
    trajectories.py p1_fig1.h5 --where 'step_rule == "local"' --facet width -o traj.png
--where uses the language of phase_diagram.py (see its --help).
Exit 2 with one line for a bad store, sweep, column or expression.
"""

import os
import sys


import numpy as np  # noqa: E402

from .. import store as lrsstore  # noqa: E402
from ..store import StoreError  # noqa: E402
from . import plotutil  # noqa: E402


def _mpl():
    global plt, Line2D
    plt = plotutil.pyplot()
    from matplotlib.lines import Line2D

BOUNDS = (("bound_local", "--", "Πρ·L0"), ("bound_global", "-.", "Πρ̄·L0"), ("bound_const", ":", "L0ρ̄0^t"))


def load_group(st, name, rows, xcol, cols):
    """Per-seed (x, {col: y}) of the given point rows."""
    out = []
    for r in rows:
        tr = st.trajectory(int(r), name)
        if tr["step"].size == 0:
            continue
        x = tr[xcol].astype(float)
        out.append((x, {c: tr[c].astype(float) for c in cols}))
    return out


def mean_std(series, col, transform):
    """Mean and std over seeds of transform(y) on the union of the seeds' x values
    (each seed interpolated inside its own range, absent outside it)."""
    if not series:
        return None
    xs = [s[0] for s in series]
    same = all(x.shape == xs[0].shape and np.array_equal(x, xs[0]) for x in xs)
    grid = xs[0] if same else np.unique(np.concatenate(xs))
    Y = np.full((len(series), grid.size), np.nan)
    for k, (x, ys) in enumerate(series):
        with np.errstate(all="ignore"):
            y = transform(ys[col])
        ok = np.isfinite(y) & np.isfinite(x)
        if ok.sum() == 0:
            continue
        if same:
            Y[k] = np.where(ok, y, np.nan)
        else:
            inside = (grid >= x[ok][0]) & (grid <= x[ok][-1])
            Y[k, inside] = np.interp(grid[inside], x[ok], y[ok])
    cnt = np.sum(np.isfinite(Y), axis=0)
    if not cnt.any():
        return None
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        m = np.nanmean(Y, axis=0)
        s = np.nanstd(Y, axis=0)
    keep = cnt > 0
    return grid[keep], m[keep], s[keep], int(cnt.max())


def log10_pos(y):
    y = np.asarray(y, dtype=float)
    return np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)


def main():
    p = lrsstore.ArgumentParser(
        prog="trajectories.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]), formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("store", help="lrsweep store (HDF5)")
    p.add_argument("--sweep", help="sweep name (default: the store's only sweep)")
    p.add_argument("--where", default="", help="row filter expression (default: all computed points)")
    p.add_argument("--facet", help="one row of panels per value of this column")
    p.add_argument("--x", choices=["auto", "step", "time"], default="auto",
                   help="horizontal axis: auto = GD iteration, or GF time for gf points")
    p.add_argument("--no-bounds", action="store_true", help="do not draw the theory bounds")
    p.add_argument("--max-groups", type=int, default=24, help="refuse more curves per panel than this (24)")
    p.add_argument("--title", help="figure title")
    p.add_argument("-o", "--output", default="trajectories.png", help="output image (default trajectories.png)")
    a = p.parse_args()

    with lrsstore.Store(a.store) as st:
        name = st.sweep_name(a.sweep)
        pts = st.points(name)
        axes = st.axes(name)
        if a.facet:
            lrsstore.check_column(pts, a.facet)
        mask = lrsstore.where_mask(pts, a.where) & (pts["status"] != "pending") & (pts["traj_count"] > 0)
        if not mask.any():
            raise StoreError("no computed point with a trajectory matches%s" % (" --where %r" % a.where if a.where else ""))
        methods = set(np.unique(pts["method"][mask]).tolist())
        xcol = a.x if a.x != "auto" else ("time" if methods == {"gf"} else "step")
        xlabel = {"step": "iteration" if "gf" not in methods else "record / iteration", "time": "GF time" if methods == {"gf"} else "time (GF) / Σ η_k (GD)"}[xcol]
        lora = bool(np.any(pts["model"][mask] == "lora"))
        two = bool(np.any(pts["model"][mask] == "two_layer"))
        facets = plotutil.ordered_values(pts, a.facet, axes, mask) if a.facet else [None]
        gkeys = [c for c in plotutil.group_axes(pts, axes, mask) if c != a.facet]
        _mpl()
        panels = ["loss"] + (["log10_misalign", "z1_fro"] if lora else [])
        ncols, nrows = len(panels), len(facets)
        fig, axs = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), squeeze=False, constrained_layout=True)
        cmap = plt.get_cmap("tab10")
        handles, seen_labels = [], set()
        for fi, fv in enumerate(facets):
            fm = mask if fv is None else mask & (pts[a.facet] == fv)
            grp = plotutil.groups(pts, gkeys, fm)
            if len(grp) > a.max_groups:
                raise StoreError("%d curves in one panel (more than --max-groups %d): narrow --where or add --facet (varying: %s)"
                                 % (len(grp), a.max_groups, ", ".join(gkeys)))
            for gi, (gd, rows) in enumerate(grp):
                colour = cmap(gi % 10) if len(grp) <= 10 else plt.get_cmap("viridis")(gi / max(1, len(grp) - 1))
                cols = ["loss"] + [b[0] for b in BOUNDS] + ["log10_misalign", "z1_fro"]
                ser = load_group(st, name, rows, xcol, cols)
                lab = plotutil.label(gd)
                ax = axs[fi][0]
                ms = mean_std(ser, "loss", log10_pos)
                if ms:
                    x, m, s, n = ms
                    ax.plot(x, m, color=colour, lw=1.6)
                    ax.fill_between(x, m - s, m + s, color=colour, alpha=0.2, lw=0)
                    if lab not in seen_labels:
                        seen_labels.add(lab)
                        handles.append(Line2D([], [], color=colour, lw=1.6, label="%s (n=%d)" % (lab, n)))
                if two and not a.no_bounds:
                    for col, ls, _ in BOUNDS:
                        bm = mean_std(ser, col, log10_pos)
                        if bm:
                            ax.plot(bm[0], bm[1], color=colour, ls=ls, lw=1.0)
                if lora:
                    for k, col in enumerate(("log10_misalign", "z1_fro"), start=1):
                        tf = (lambda y: y) if col == "log10_misalign" else log10_pos
                        mm = mean_std(ser, col, tf)
                        if mm:
                            x, m, s, _ = mm
                            axs[fi][k].plot(x, m, color=colour, lw=1.4)
                            axs[fi][k].fill_between(x, m - s, m + s, color=colour, alpha=0.2, lw=0)
            for k, pn in enumerate(panels):
                ax = axs[fi][k]
                ax.set_xlabel(xlabel)
                ax.set_ylabel({"loss": "log10 L", "log10_misalign": "log10(1 − |cos(γ1, U_Z1)|)",
                               "z1_fro": "log10 ‖Z1‖_F"}[pn])
                ax.grid(alpha=0.3)
                if fv is not None:
                    ax.set_title("%s = %s" % (a.facet, plotutil.fmt(fv)), fontsize=10)
    if two and not a.no_bounds:
        handles += [Line2D([], [], color="0.3", ls=ls, lw=1.0, label="bound " + lab) for _, ls, lab in BOUNDS]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(3, max(1, len(handles))), fontsize=8, frameon=False)
    fig.suptitle(a.title or "%s: mean ± std over seeds of log10 values%s" % (name, (" (" + a.where + ")") if a.where else ""), fontsize=11)
    plotutil.savefig(fig, a.output)
    print("wrote %s (%d points)" % (a.output, int(mask.sum())))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
