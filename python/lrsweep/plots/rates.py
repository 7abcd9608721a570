"""Measured linear rate against the theory of [P1]: a log-log scatter of 1 − rate.

Left panel: 1 − rate (measured, the fitted per-iteration factor of the store's
`rate` column) against 1 − asymptotic_rate = (μ/K)·α1/α2; right panel: against
1 − ρ̄(η0, 0) (rho_bar0), the constant-step bound.  One marker per point, coloured
by --color (default: the first grid axis that varies); the line y = x.  A point
above the line decays at least as fast as the bound (measured rate ≤ theoretical).
Prints, for each theoretical rate, the fraction of points whose measured decay is
at least as fast as it.  Only GD points with a measured rate and the theory column
are used (GF rates are per unit time, not per iteration).

Example:
    rates.py p1_fig1.h5 --color width -o rates.png
Exit 2 with one line for a bad store, sweep, column or expression.
"""

import numpy as np

from .. import store as lrsstore
from . import plotutil

THEORIES = (("asymptotic_rate", r"$1 - \rho_\infty = (\mu/K)\,\alpha_1/\alpha_2$ (theory)"),
            ("rho_bar0", r"$1 - \bar\rho(\eta_0, 0)$ (theory)"))


def _tick(v, _=None):
    return "%.3g" % v


def _minor_tick(v, _=None):
    """Minor ticks of a log axis labelled at mantissas 2, 4 and 6 only (room)."""
    m = v / 10.0 ** np.floor(np.log10(v)) if v > 0 else 0
    return _tick(v) if int(round(m)) in (2, 4, 6) and abs(m - round(m)) < 1e-6 else ""


def _minor_formatter(axis, ticker):
    """_minor_tick while the axis spans at most MINOR_DECADES decades; beyond, minor
    ticks are unlabelled (labels at 0.004, 0.006, 0.01 ran into each other)."""
    def fmt(v, pos=None):
        lo, hi = axis.get_view_interval()
        if lo > 0 and hi > 0 and abs(np.log10(hi / lo)) > MINOR_DECADES:
            return ""
        return _minor_tick(v)
    return ticker.FuncFormatter(fmt)


MINOR_DECADES = 1.5


def fractions(pts, mask):
    """{theory column: (n points, n with measured rate <= theory rate)}."""
    out = {}
    r = pts["rate"]
    for col, _ in THEORIES:
        t = pts[col]
        ok = mask & np.isfinite(r) & np.isfinite(t)
        out[col] = (int(ok.sum()), int(np.sum(r[ok] <= t[ok])))
    return out


def main():
    p = plotutil.parser("rates.py", __doc__)
    plotutil.add_where(p, "see phase_diagram.py --help")
    p.add_argument("--color", help="colour markers by this column (default: first varying grid axis)")
    a = plotutil.parse(p, "rates.png")

    name, pts, axes = plotutil.read_sweep(a)
    if a.color:
        lrsstore.check_column(pts, a.color)
    keep = (pts["method"] == "gd") & np.isfinite(pts["rate"]) & (pts["rate"] > 0) & (pts["rate"] < 1)
    keep &= np.isfinite(pts["asymptotic_rate"]) | np.isfinite(pts["rho_bar0"])
    mask = plotutil.selected(pts, a, keep, "GD point with a measured rate and a [P1] theoretical rate")
    mask = plotutil.drop_missing(pts, mask, [("--color", a.color)])
    colour_by = a.color
    if colour_by is None:
        varying = plotutil.group_axes(pts, axes, mask)
        colour_by = varying[0] if varying else None

    plt = plotutil.apply_style(a)
    fig, axs = plt.subplots(1, 2, figsize=plotutil.figsize(a, 11, 4.6, 2), constrained_layout=True)
    ym = 1.0 - pts["rate"]
    fr = fractions(pts, mask)
    cvals = plotutil.ordered_values(pts, colour_by, axes, mask) if colour_by else [None]
    numeric_many = colour_by and len(cvals) > 10 and not any(isinstance(v, str) for v in cvals)
    for k, (col, xlabel) in enumerate(THEORIES):
        ax = axs[k]
        xm = 1.0 - pts[col]
        ok = mask & np.isfinite(xm) & (xm > 0)
        if numeric_many:
            sc = ax.scatter(xm[ok], ym[ok], c=pts[colour_by][ok].astype(float), s=14, cmap="viridis",
                            norm=plt.matplotlib.colors.LogNorm() if lrsstore.is_log_axis(cvals, axes.get(colour_by)) else None)
            if k == 1:
                fig.colorbar(sc, ax=ax).set_label(plotutil.axis_label(colour_by))
        else:
            for i, cv in enumerate(cvals):
                sel = ok if cv is None else ok & (pts[colour_by] == cv)
                if sel.any():
                    ax.scatter(xm[sel], ym[sel], s=14, color=plt.get_cmap("tab10")(i % 10), alpha=0.8,
                               label=None if cv is None else plotutil.value_label({colour_by: cv}))
        vals = np.concatenate([xm[ok], ym[ok]])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        if vals.size:
            lo, hi = vals.min() / 1.5, vals.max() * 1.5
            ax.plot([lo, hi], [lo, hi], color="k", lw=1, label="$y = x$")
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
        ax.set_xscale("log")
        ax.set_yscale("log")
        # ticks as the shortest decimals (0.6, 1), not 6×10⁻¹
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(_tick))
            axis.set_minor_formatter(_minor_formatter(axis, plt.matplotlib.ticker))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"$1 - \hat\rho$ (measured)")
        n, nfast = fr[col]
        ax.set_title("%d/%d points at least as fast as the bound" % (nfast, n))
        ax.grid(alpha=0.3, which="both")
        if k == 0 or not numeric_many:
            ax.legend(fontsize=8)
    fig.suptitle(a.title or "%s: measured rate vs [P1] theory (above y = x: faster than the bound)" % name, fontsize=11)
    plotutil.savefig(fig, a)
    for col, _ in THEORIES:
        n, nfast = fr[col]
        print("%-16s %d of %d points (%.1f%%) decay at least as fast as the bound"
              % (col, nfast, n, 100.0 * nfast / n if n else float("nan")))
    print("wrote %s (%d points)" % (a.output, int(mask.sum())))
    return 0


if __name__ == "__main__":
    lrsstore.main_guard(main)
