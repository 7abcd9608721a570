"""Loss trajectories of an lrsweep store: log10 L against iteration (GD) or GF time.

Points are grouped by the grid axes (other than seed) that vary among the selected
points; each group is drawn as the mean ± std over its seeds of log10 L (shaded).
For two_layer points the theory bounds recorded beside each run are drawn dashed in
the same colour: Π ρ(η_k, k)·L0 (bound_local, --), Π ρ̄(η_k, k)·L0 (bound_global, -.)
and L0 ρ̄(η0, 0)^t (bound_const, :), each as the mean of log10 over seeds.  For lora
points two more panels show log10(1 − |cos(γ1, U_Z1)|) and ‖Z1‖_F.

Colour tells the groups apart; --linestyle COL draws each value of COL (e.g. the step
rule, to overlay local and global) in its own line style instead -- the default for
LoRA points is `init`, with the init scale α as colour -- and the theory bounds are
then left out.  A curve that rises more than --clip decades (default 3) above the
largest starting loss of its panel is cut at the top with a marker (legend:
"diverged, clipped").

Example:
    trajectories.py p1_fig1.h5 --where 'step_rule == "local"' --facet width -o traj.png
    trajectories.py p1_fig1.h5 --linestyle step_rule --facet width -o traj.pdf --style paper
--where uses the language of phase_diagram.py (see its --help).
Exit 2 with one line for a bad store, sweep, column or expression.
"""

import numpy as np

from .. import store as lrsstore
from ..store import StoreError
from . import plotutil


def _mpl():
    global plt, Line2D
    plt = plotutil.pyplot()
    from matplotlib.lines import Line2D

BOUNDS = (("bound_local", "--", r"$\prod_k \rho(\eta_k, k)\, L_0$"),
          ("bound_global", "-.", r"$\prod_k \bar\rho(\eta_k, k)\, L_0$"),
          ("bound_const", ":", r"$L_0\, \bar\rho(\eta_0, 0)^t$"))
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
YLABELS = {"loss": r"$\log_{10}(L - \ell^*)$", "log10_misalign": r"$\log_{10}(1 - |\cos(\gamma_1, U_{Z_1})|)$",
           "z1_fro": r"$\log_{10} \Vert Z_1\Vert_F$"}  # \Vert: mathtext draws \| as a single bar


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


def _colours(pts, keys, axes, mask):
    """A colour per combination of `keys` among rows `mask`: a sequential map ordered by
    value for one numeric key (e.g. α), else tab10 (viridis beyond 10)."""
    plt = plotutil.pyplot()
    combos = [tuple(d[c] for c in keys) for d, _ in plotutil.groups(pts, keys, mask)]
    if len(keys) == 1:
        order = plotutil.ordered_values(pts, keys[0], axes, mask)
        combos = [(v,) for v in order]
        numeric = not any(isinstance(v, str) for v in order)
        if numeric and len(order) > 1:
            cmap = plt.get_cmap("plasma")
            return {c: cmap(0.85 * i / (len(order) - 1)) for i, c in enumerate(combos)}
    if len(combos) <= 10:
        return {c: plt.get_cmap("tab10")(i) for i, c in enumerate(combos)}
    return {c: plt.get_cmap("viridis")(i / max(1, len(combos) - 1)) for i, c in enumerate(combos)}


def log10_pos(y):
    y = np.asarray(y, dtype=float)
    return np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)


def main():
    p = plotutil.parser("trajectories.py", __doc__)
    plotutil.add_where(p, "default: all computed points")
    p.add_argument("--facet", help="one row of panels per value of this column")
    p.add_argument("--x", choices=["auto", "step", "time"], default="auto",
                   help="horizontal axis: auto = GD iteration, or GF time for gf points")
    p.add_argument("--no-bounds", action="store_true", help="do not draw the theory bounds")
    p.add_argument("--max-groups", type=int, default=24, help="refuse more curves per panel than this (24)")
    p.add_argument("--linestyle", metavar="COL",
                   help="one line style per value of COL, colour for the rest (default for LoRA: init)")
    p.add_argument("--clip", type=float, default=3.0,
                   help="cut curves this many decades above the panel's largest start (default 3)")
    a = plotutil.parse(p, "trajectories.png")
    if a.clip <= 0:
        raise StoreError("--clip %s: expected decades above the largest start, > 0" % plotutil.fmt(a.clip))

    with plotutil.open_sweep(a) as (st, name, pts, axes):
        if a.facet:
            lrsstore.check_column(pts, a.facet)
        mask = plotutil.selected(pts, a, pts["traj_count"] > 0, "computed point with a trajectory")
        mask = plotutil.drop_missing(pts, mask, [("--facet", a.facet), ("--linestyle", a.linestyle)])
        methods = set(np.unique(pts["method"][mask]).tolist())
        xcol = a.x if a.x != "auto" else ("time" if methods == {"gf"} else "step")
        xlabel = {"step": "iteration" if "gf" not in methods else "record / iteration", "time": "GF time" if methods == {"gf"} else r"time (GF) / $\sum_k \eta_k$ (GD)"}[xcol]
        lora = bool(np.any(pts["model"][mask] == "lora"))
        two = bool(np.any(pts["model"][mask] == "two_layer"))
        facets = plotutil.ordered_values(pts, a.facet, axes, mask) if a.facet else [None]
        gkeys = [c for c in plotutil.group_axes(pts, axes, mask) if c != a.facet]
        skey = a.linestyle or ("init" if lora and "init" in gkeys and len(gkeys) > 1 else None)
        if skey:
            lrsstore.check_column(pts, skey)
            if skey == a.facet:
                raise StoreError("--linestyle %s is the --facet column" % skey)
        ckeys = [c for c in gkeys if c != skey]
        svals = plotutil.ordered_values(pts, skey, axes, mask) if skey else [None]
        if len(svals) > len(LINESTYLES):
            raise StoreError("--linestyle %s: %d values, at most %d line styles" % (skey, len(svals), len(LINESTYLES)))
        _mpl()
        plotutil.apply_style(a)
        colours = _colours(pts, ckeys, axes, mask)
        draw_bounds = two and not a.no_bounds and not skey
        # Two line styles (e.g. local vs global): a panel of their difference, since
        # the curves may lie on top of each other.
        diff = bool(skey) and len(svals) == 2 and not lora
        panels = ["loss"] + (["log10_misalign", "z1_fro"] if lora else []) + (["diff"] if diff else [])
        ncols, nrows = len(panels), len(facets)
        fig, axs = plt.subplots(nrows, ncols, figsize=plotutil.figsize(a, 5.2 * ncols, 3.6 * nrows, ncols),
                                squeeze=False, constrained_layout=True)
        handles, seen_labels = [], set()
        clipped = False
        for fi, fv in enumerate(facets):
            fm = mask if fv is None else mask & (pts[a.facet] == fv)
            grp = plotutil.groups(pts, ckeys + ([skey] if skey else []), fm)
            if len(grp) > a.max_groups:
                raise StoreError("%d curves in one panel (more than --max-groups %d): narrow --where or add --facet (varying: %s)"
                                 % (len(grp), a.max_groups, ", ".join(gkeys)))
            starts, tops, curves = [], [], {}
            for gi, (gd, rows) in enumerate(grp):
                colour = colours[tuple(gd[c] for c in ckeys)]
                ls = LINESTYLES[svals.index(gd[skey])] if skey else "-"
                cols = ["loss"] + [b[0] for b in BOUNDS] + ["log10_misalign", "z1_fro"]
                ser = load_group(st, name, rows, xcol, cols)
                lab = plotutil.value_label({c: gd[c] for c in ckeys})
                ax = axs[fi][0]
                ms = mean_std(ser, "loss", log10_pos)
                if ms:
                    x, m, s, n = ms
                    ax.plot(x, m, color=colour, lw=1.6, ls=ls)
                    ax.fill_between(x, m - s, m + s, color=colour, alpha=0.2, lw=0)
                    starts.append(m[0])
                    curves[(tuple(gd[c] for c in ckeys), gd[skey] if skey else None)] = (x, m, colour)
                    tops.append((x, m, colour))
                    if lab not in seen_labels:
                        seen_labels.add(lab)
                        handles.append(Line2D([], [], color=colour, lw=1.6, label="%s (n=%d)" % (lab, n)))
                if draw_bounds:
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
                            axs[fi][k].plot(x, m, color=colour, lw=1.4, ls=ls)
                            axs[fi][k].fill_between(x, m - s, m + s, color=colour, alpha=0.2, lw=0)
            if starts:  # diverging curves would flatten the others: cut them at the top
                ax = axs[fi][0]
                top = max(starts) + a.clip
                lo, hi = ax.get_ylim()
                if hi > top:
                    ax.set_ylim(lo, top)
                    for x, m, colour in tops:
                        over = np.flatnonzero(m > top)
                        if over.size:
                            clipped = True
                            ax.plot([x[over[0]]], [top], marker="^", color=colour, ms=7, clip_on=False,
                                    markeredgecolor="black", zorder=6)
            if diff:
                for ck in dict.fromkeys(k for k, _ in curves):
                    if (ck, svals[0]) in curves and (ck, svals[1]) in curves:
                        (x0, m0, colour), (x1, m1, _) = curves[(ck, svals[0])], curves[(ck, svals[1])]
                        xs_ = x0[(x0 >= x1[0]) & (x0 <= x1[-1])]
                        axs[fi][-1].plot(xs_, np.interp(xs_, x1, m1) - np.interp(xs_, x0, m0), color=colour, lw=1.4)
                axs[fi][-1].axhline(0, color="0.4", lw=0.8)
            for k, pn in enumerate(panels):
                ax = axs[fi][k]
                ax.set_xlabel(xlabel)
                ax.set_ylabel(YLABELS[pn] if pn != "diff" else
                              r"$\Delta \log_{10}(L - \ell^*)$: %s $-$ %s" % (plotutil.fmt(svals[1]), plotutil.fmt(svals[0])))
                ax.grid(alpha=0.3)
                if fv is not None:
                    ax.set_title(plotutil.value_label({a.facet: fv}))
    if skey:
        handles += [Line2D([], [], color="0.2", ls=LINESTYLES[i], lw=1.4, label="%s = %s" % (skey, plotutil.fmt(v)))
                    for i, v in enumerate(svals)]
    if draw_bounds:
        handles += [Line2D([], [], color="0.3", ls=ls, lw=1.0, label="bound " + lab) for _, ls, lab in BOUNDS]
    if clipped:
        handles.append(Line2D([], [], color="0.3", marker="^", ls="none", markeredgecolor="black",
                              label="diverged, clipped (rises > %s decades)" % plotutil.fmt(a.clip)))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(3, max(1, len(handles))),
               fontsize=8 if a.style != "paper" else 6.5, frameon=False)
    fig.suptitle(a.title or "%s: mean ± std over seeds%s" % (name, (" (" + a.where + ")") if a.where else ""))
    plotutil.savefig(fig, a)
    print("wrote %s (%d points)" % (a.output, int(mask.sum())))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
