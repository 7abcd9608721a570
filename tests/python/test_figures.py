"""The figure scripts drawn in this process, their matplotlib objects inspected: axis
labels in the papers' symbols, categorical heatmap axes, a legend entry for every shade
(diverged, no value), clipped divergent curves, line styles for a second grouping with
the difference panel, and the output options (--format, --dpi, --style paper).

Run:  LRSWEEP=build/lrsweep /usr/bin/python3 -m pytest -q tests/python/test_figures.py
"""

import os
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, os.path.join(REPO, "tests", "analysis"))
sys.path.insert(0, os.path.join(REPO, "analysis"))
sys.path.insert(0, os.path.join(REPO, "tests"))

import test_analysis as ta  # noqa: E402  (its sweep texts)
from jobctl import run_sweep  # noqa: E402
from lrsweep.plots import critical_step, phase_diagram, plotutil, rates, trajectories  # noqa: E402
from lrsweep.store import StoreError  # noqa: E402

RULES = ta.TWO_LAYER.replace('name = "tiny-local"', 'name = "rules"').replace('step_rule = "local"\n', "") \
    .replace("[grid]\n", '[grid]\nstep_rule = ["local", "global"]\n').replace("sigma2 = [0.01, 0.1, 1.0]", "sigma2 = [0.1]")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    d = tmp_path_factory.mktemp("figs")
    out = {}
    for name, text in (("two", ta.TWO_LAYER), ("fixed", ta.FIXED), ("lora", ta.LORA), ("rules", RULES)):
        run_sweep(text, str(d / (name + ".h5")), str(d))
        out[name] = str(d / (name + ".h5"))
    import reproduce

    crit = str(d / "critical.toml")
    reproduce.quick_copy(os.path.join(REPO, "sweeps", "p1_critical_step.toml"), crit, ta.CRITICAL_TINY)
    run_sweep(crit, str(d / "critical.h5"), str(d))
    out["critical"] = str(d / "critical.h5")
    out["dir"] = d
    return out


def draw(monkeypatch, module, *argv):
    """Runs the script's main in this process; returns (the figure, the written path)."""
    figs = []
    save = plotutil.savefig

    def keep(fig, a):
        save(fig, a)
        figs.append((fig, a.output))

    monkeypatch.setattr(plotutil, "savefig", keep)
    monkeypatch.setattr(sys, "argv", [module.__name__] + [str(x) for x in argv])
    assert module.main() == 0
    assert len(figs) == 1 and os.path.getsize(figs[0][1]) > 0
    return figs[0]


def legend(fig):
    from matplotlib.legend import Legend

    out = []
    for lg in list(fig.legends) + [c for ax in fig.axes for c in ax.get_children() if isinstance(c, Legend)]:
        out += [t.get_text() for t in lg.get_texts()]
    return out


def labels(fig, which):
    return [getattr(ax, "get_" + which)() for ax in fig.axes]


def test_tick_text():
    assert [plotutil.fmt(v) for v in (1e-4, 0.001, 0.1, 0.30000000000000004, 4000.0, 2.5e6, 1e-5)] == \
        ["1e-4", "0.001", "0.1", "0.30000000000000004", "4000", "2.5e6", "1e-5"]
    assert plotutil.symbol("alpha1/alpha2") == r"$\alpha_1/\alpha_2$"
    assert plotutil.symbol("log10(final_loss)") == r"$\log_{10}(L)$"


def test_phase_diagram_shades_and_symbols(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, phase_diagram, stores["fixed"], "--x", "width", "--y", "step_size",
                  "--z", "iters_to_6", "-o", tmp_path / "pd.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "width $h$" and ax.get_ylabel() == r"step size $\eta$"
    # categorical: one equal cell per grid value, ticks the typed decimals
    assert ax.get_xlim() == (-0.5, 1.5) and ax.get_ylim() == (-0.5, 2.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.01", "10"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["20", "40"]
    lg = legend(fig)
    # η = 10 diverges everywhere; η = 0.001 never reaches 1e-6 in 30 iterations
    assert "every point diverged / failed" in lg and "no value (never reached / not fitted)" in lg, lg
    assert any("mathrm{iters\\_to\\_6}" in t for t in labels(fig, "ylabel")), labels(fig, "ylabel")


def test_phase_diagram_failure_shades_are_true(stores, monkeypatch, tmp_path):
    """Grey cells are exactly those where every point diverged or failed (read with
    h5py), hatched-only cells those where some did; a legend entry only for a shade
    drawn (the "some points" entry stood beside grey-only figures)."""
    import h5py
    from matplotlib.patches import Rectangle

    path = stores["fixed"]
    fig, _ = draw(monkeypatch, phase_diagram, path, "--x", "width", "--y", "step_size", "--z", "final_loss",
                  "-o", tmp_path / "f.png")
    with h5py.File(path, "r") as f:
        P = f["sweeps"][list(f["sweeps"])[0]]["points"][...]
        names = {v: k for k, v in h5py.check_enum_dtype(P.dtype["status"]).items()}
    status = np.array([names[int(s)] for s in P["status"]])
    bad = np.isin(status, ["diverged", "numerical_failure", "timeout", "error", "rule_undefined"])
    widths, steps = sorted(set(P["width"].tolist())), sorted(set(P["step_size"].tolist()))
    want = {}
    for i, s in enumerate(steps):
        for j, w in enumerate(widths):
            sel = (P["width"] == w) & (P["step_size"] == s)
            want[(j, i)] = "grey" if bad[sel].all() else ("hatch" if bad[sel].any() else None)
    ax = fig.axes[0]
    got = {}
    for p in ax.patches:
        if isinstance(p, Rectangle) and p.get_hatch():
            x, y = p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2
            got[(int(round(x)), int(round(y)))] = "grey" if p.get_facecolor()[3] > 0 else "hatch"
    assert got == {k: v for k, v in want.items() if v}, (got, want)
    lg = legend(fig)
    assert ("some points diverged / failed" in lg) == ("hatch" in want.values()), lg
    assert ("every point diverged / failed" in lg) == ("grey" in want.values()), lg


def test_output_options(stores, monkeypatch, tmp_path):
    fig, path = draw(monkeypatch, phase_diagram, stores["two"], "--x", "width", "--y", "sigma2", "--z", "alpha1/alpha2",
                     "-o", tmp_path / "a", "--format", "pdf", "--style", "paper")
    assert path.endswith(".pdf") and open(path, "rb").read(5) == b"%PDF-"
    assert fig.get_size_inches()[0] == pytest.approx(plotutil.PAPER_WIDTH[0])
    assert any(r"\alpha_1/\alpha_2" in t for t in labels(fig, "ylabel"))  # the colour bar
    _, path = draw(monkeypatch, rates, stores["two"], "-o", tmp_path / "r.svg")
    assert b"<svg" in open(path, "rb").read(400)
    import matplotlib.image as mpimg

    widths = []
    for dpi in (72, 144):
        _, path = draw(monkeypatch, phase_diagram, stores["two"], "--x", "width", "--y", "sigma2", "-o",
                       tmp_path / ("d%d.png" % dpi), "--dpi", dpi)
        widths.append(mpimg.imread(path).shape[1])
    assert widths[1] / widths[0] == pytest.approx(2.0, rel=0.02)
    monkeypatch.setattr(sys, "argv", ["pd", stores["two"], "--x", "width", "--y", "sigma2", "-o",
                                      str(tmp_path / "x.png"), "--format", "pdf"])
    with pytest.raises(StoreError, match="-o .*x.png but --format pdf"):
        phase_diagram.main()


def test_trajectories_clip_divergent(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, trajectories, stores["fixed"], "--facet", "width", "-o", tmp_path / "t.png")
    lg = legend(fig)
    assert any(t.startswith("diverged, clipped") for t in lg), lg
    assert any(t.startswith(r"$\eta$=10 ") for t in lg) and any(t.startswith(r"$\eta$=0.001 ") for t in lg), lg
    ax = fig.axes[0]
    assert ax.get_ylabel() == r"$\log_{10}(L - \ell^*)$"
    starts = [line.get_ydata()[0] for line in ax.get_lines() if len(line.get_ydata()) > 1]
    assert ax.get_ylim()[1] == pytest.approx(max(starts) + 3.0)


def test_trajectories_overlay_and_difference(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, trajectories, stores["rules"], "--linestyle", "step_rule", "-o", tmp_path / "o.png")
    lg = legend(fig)
    assert "step_rule = local" in lg and "step_rule = global" in lg, lg
    assert not any(t.startswith("bound ") for t in lg)  # line styles are taken by step_rule
    assert len(fig.axes) == 2 and "global $-$ local" in fig.axes[1].get_ylabel()
    styles = {line.get_linestyle() for line in fig.axes[0].get_lines()}
    assert {"-", "--"} <= styles
    # the difference panel: one curve per width (3), and the zero line
    assert len(fig.axes[1].get_lines()) == 3 + 1


def test_trajectories_lora_init_style_alpha_colour(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, trajectories, stores["lora"], "-o", tmp_path / "l.png")
    lg = legend(fig)
    assert "init = small" in lg and "init = spectral" in lg, lg
    assert any(t.startswith(r"$\alpha$=1e-4 ") for t in lg) and any(t.startswith(r"$\alpha$=0.001 ") for t in lg), lg
    ylabels = labels(fig, "ylabel")
    assert any("cos" in t for t in ylabels) and any(r"\Vert Z_1\Vert_F" in t for t in ylabels)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) > 1]
    colours = {tuple(np.round(ln.get_color(), 3)) for ln in lines}
    assert len(lines) == 4 and len(colours) == 2  # 2 α colours × 2 init styles


def overlapping_ticks(fig):
    """Pairs of visible, non-empty tick labels (major and minor) of one axis whose
    drawn boxes intersect: [(axis label, text, text)]."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            labels = [t.label1 for t in ticks if t.label1.get_visible() and t.label1.get_text()]
            boxes = [(lb.get_text(), lb.get_window_extent(r)) for lb in labels]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    (ta, a), (tb, b) = boxes[i], boxes[j]
                    if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1:
                        out.append((axis.get_label_text(), ta, tb))
    return out


# Fixed steps over two decades and three widths: 1 - rho_bar0 spans ~3 decades.
WIDE_RATES = ta.FIXED.replace('name = "tiny-fixed"', 'name = "wide-rates"').replace("replicates = 2", "replicates = 3") \
    .replace("max_iter = 30", "max_iter = 60").replace("width = [20, 40]", "width = [20, 40, 80]") \
    .replace("step_size = [0.001, 0.01, 10.0]", "step_size = [0.001, 0.01, 0.1, 0.4, 10.0]")


@pytest.mark.parametrize("style", ["screen", "paper"])
def test_rates_tick_labels_apart(monkeypatch, tmp_path, style):
    """No tick label runs into another, also when a theory rate spans three decades
    (the minor labels 0.0004, 0.0006, 0.001 and 0.004, 0.006, 0.01 ran together)."""
    assert "width = [20, 40, 80]" in WIDE_RATES and "0.4, 10.0]" in WIDE_RATES
    store = str(tmp_path / "wide.h5")
    run_sweep(WIDE_RATES, store, str(tmp_path))
    fig, _ = draw(monkeypatch, rates, store, "--style", style, "-o", tmp_path / "r.png")
    spans = [np.log10(ax.get_xlim()[1] / ax.get_xlim()[0]) for ax in fig.axes[:2]]
    assert max(spans) > 2, spans  # the case that overlapped
    assert not overlapping_ticks(fig)


def test_rates_labels(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, rates, stores["two"], "--color", "width", "-o", tmp_path / "r.png")
    assert all("(theory)" in ax.get_xlabel() for ax in fig.axes[:2])
    assert all(r"\hat\rho" in ax.get_ylabel() for ax in fig.axes[:2])
    lg = legend(fig)
    assert "$y = x$" in lg and "$h$=20" in lg, lg


def test_critical_step_labels(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, critical_step, stores["critical"], "-o", tmp_path / "c.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "width $h$" and ax.get_ylabel() == r"critical step size $\eta$"
    lg = legend(fig)
    assert r"$2/K_t(0)$" in lg and r"$\eta_{\max}$ [P1]" in lg and any(t.startswith(r"$\alpha$=") for t in lg), lg


def test_phase_diagram_boundary_legend(stores, monkeypatch, tmp_path):
    fig, _ = draw(monkeypatch, phase_diagram, stores["critical"], "--x", "width", "--y", "step_size", "--z",
                  "final_loss", "--facet", "init_scale", "--boundary", "-o", tmp_path / "b.png")
    lg = legend(fig)
    assert any(t.startswith("first flip of") for t in lg), lg
    ax = fig.axes[0]
    assert ax.get_title().startswith(r"$\alpha$=")
    # the boundary markers sit between grid cells on the categorical step-size axis
    ys = fig.axes[0].lines[0].get_ydata() if fig.axes[0].lines else []
    assert len(ys) and all(-0.5 <= y <= len(ax.get_yticks()) - 0.5 for y in ys)


def data_under_legends(fig):
    """Data points (of every line and marker drawn in an axes) that a legend covers,
    in display coordinates after drawing: [(legend text, x, y)]."""
    from matplotlib.legend import Legend

    fig.canvas.draw()
    legends = list(fig.legends) + [c for ax in fig.axes for c in ax.get_children() if isinstance(c, Legend)]
    hits = []
    for lg in legends:
        box = lg.get_window_extent()
        for ax in fig.axes:
            for ln in ax.get_lines():
                xy = np.column_stack([np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)])
                xy = xy[np.all(np.isfinite(xy), axis=1)]
                if not len(xy):
                    continue
                for px, py in ax.transData.transform(xy):
                    if box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1:
                        hits.append((lg.get_texts()[0].get_text(), px, py))
    return hits


@pytest.mark.parametrize("style,where,widths", [("screen", "", ["20", "80"]), ("paper", "", ["20", "80"]),
                                               ("screen", "width == 80", ["80"])])
def test_critical_step_legend_and_axes(stores, monkeypatch, tmp_path, style, where, widths):
    """No legend over the data; the grid's widths as x ticks; the η axis ends a factor 2
    below the lowest value drawn, not three decades below it when nothing is there (at
    width 20 η_max is ~1e-45: drawn on the edge, named in the legend)."""
    fig, _ = draw(monkeypatch, critical_step, stores["critical"], "--style", style, "--where", where,
                  "-o", tmp_path / "c.png")
    assert not data_under_legends(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == widths
    drawn = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in ax.get_lines() if len(ln.get_xdata())])
    drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
    lo, hi = ax.get_ylim()
    if where:
        assert lo <= drawn.min() <= 2.0 * lo * (1 + 1e-9), (lo, drawn.min())
    else:
        assert drawn.min() < lo and any("below the axis" in t for t in legend(fig))


def test_critical_step_table_digits(stores, monkeypatch, tmp_path, capsys):
    """The printed table reads as a person writes numbers: at most 4 significant
    digits, each the value collect() computed rounded so."""
    draw(monkeypatch, critical_step, stores["critical"], "-o", tmp_path / "c.png")
    out = capsys.readouterr().out.strip().splitlines()
    head = out[0].split()
    rows = [dict(zip(head, ln.split())) for ln in out[1:] if not ln.startswith("wrote")]
    from lrsweep.store import Store

    with Store(stores["critical"]) as st:
        _, want = critical_step.collect(st.sweep())
    assert len(rows) == len(want) > 0
    for row, w in zip(rows, want):
        for col, key in (("boundary", "boundary"), ("lo", "lo"), ("hi", "hi"), ("eta_max", "eta_max"),
                         ("2/K_t(0)", "two_over_kt0"), ("boundary/eta_max", "ratio_eta_max")):
            text = row[col]
            assert "e+" not in text and "e-0" not in text, text  # 1.3e44, 2.8e-5
            digits = text.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
            assert len(digits) <= 4, (col, text)
            assert float(text) == float("%.4g" % w[key]), (col, text, w[key])


@pytest.mark.parametrize("style", ["screen", "paper"])
@pytest.mark.parametrize("xy", [("width", "step_size"), ("step_size", "width")])
def test_phase_diagram_boundary_keeps_cell_values_visible(stores, monkeypatch, tmp_path, style, xy):
    """The boundary markers never cover a cell's printed value: a value is moved aside
    within its cell, or left out when the cell has no free side (the colour shows it)."""
    fig, _ = draw(monkeypatch, phase_diagram, stores["critical"], "--x", xy[0], "--y", xy[1], "--z", "rate",
                  "--facet", "init_scale", "--boundary", "--style", style, "-o", tmp_path / "b.png")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    shown = hidden = 0
    for ax in fig.axes[:-1]:  # the panels (the last axes is the colour bar)
        marks = [ln for ln in ax.get_lines() if ln.get_marker() == "D"]
        assert marks, "a boundary marker per panel"
        centres = np.concatenate([ax.transData.transform(np.column_stack(ln.get_data()).astype(float)) for ln in marks])
        radius = marks[0].get_markersize() / 2 * fig.dpi / 72.0
        for t in ax.texts:
            if not t.get_visible():
                hidden += 1
                continue
            shown += 1
            b = t.get_window_extent(r)
            for cx, cy in centres:
                assert not (b.x0 - radius < cx < b.x1 + radius and b.y0 - radius < cy < b.y1 + radius), \
                    (t.get_text(), (cx, cy), b)
    assert shown > 0 and hidden <= shown, (shown, hidden)


def mathtext_glyphs(text):
    """The character codes mathtext draws for `text` (one $...$ label)."""
    from matplotlib.mathtext import MathTextParser

    return [g[2] for g in MathTextParser("path").parse(text)[3]]


def test_norm_bars_are_double(stores, monkeypatch, tmp_path):
    """‖Z1‖_F is drawn with double bars (mathtext draws \\| as a single bar, |Z1|)."""
    fig, _ = draw(monkeypatch, trajectories, stores["lora"], "-o", tmp_path / "t.png")
    label = [ax.get_ylabel() for ax in fig.axes if "Z_1" in ax.get_ylabel() and "cos" not in ax.get_ylabel()]
    assert label, [ax.get_ylabel() for ax in fig.axes]
    glyphs = mathtext_glyphs(label[0])
    assert glyphs.count(0x2016) == 2 and 0x7C not in glyphs, (label[0], glyphs)


def test_reproduce_titles_have_no_raw_subscripts():
    """The titles reproduce.py gives the figure scripts put subscripts and norms in
    mathtext: no one-letter subscript "_F" outside $...$ (a title read "‖W*‖_F" with a
    literal underscore; names such as two_layer are fine)."""
    import ast
    import re

    tree = ast.parse(open(os.path.join(REPO, "analysis", "reproduce.py"), encoding="utf-8").read())
    titles = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            args = node.args
            for k, arg in enumerate(args[:-1]):
                if isinstance(arg, ast.Constant) and arg.value == "--title":
                    t = args[k + 1]
                    t = t.left if isinstance(t, ast.BinOp) else t  # "... %s ..." % (...)
                    if isinstance(t, ast.Constant):
                        titles.append(t.value)
            what = getattr(node.func, "attr", "")
            if what in ("suptitle", "set_title", "set_xlabel", "set_ylabel") and args \
                    and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                titles.append(args[0].value)
    assert len(titles) >= 5, titles
    for t in titles:
        plain = re.sub(r"\$[^$]*\$", "", t)
        # "‖W*‖_F", "η_bt": a subscript written as text (names such as two_layer are fine)
        assert not re.search(r"_[A-Za-z0-9](?![A-Za-z0-9_])|[^\x00-\x7F*]_\w", plain), t
        for m in re.findall(r"\$[^$]*\$", t):
            mathtext_glyphs(m)  # parses


def test_trajectories_time_axis_label(stores, monkeypatch, tmp_path):
    """--x time on GD points: the label's Σ_k η_k is mathtext, not a literal "η_k"."""
    import re

    fig, _ = draw(monkeypatch, trajectories, stores["two"], "--x", "time", "-o", tmp_path / "t.png")
    label = fig.axes[0].get_xlabel()
    assert not re.search(r"_[A-Za-z0-9](?![A-Za-z0-9_])", re.sub(r"\$[^$]*\$", "", label)), label
    assert 0x3B7 in mathtext_glyphs(re.search(r"\$[^$]*\$", label).group(0))  # η drawn by mathtext
