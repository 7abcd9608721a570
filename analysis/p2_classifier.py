#!/usr/bin/python3
"""The report row of [P2] §5.2 / Fig. 2 on the digits head (sweeps/p2_classifier.toml):
per init scale std, the medians over seeds of the final train loss, train and test
accuracy, beside the paper's read-off values (papers.md §4), and whether smaller init
gave lower train loss.

    import p2_classifier
    res = p2_classifier.rows("p2_classifier.h5")   # dict: rows, finding, spearman, reading, text
    print(res["text"])                             # a Markdown table and the verdict
    p2_classifier.figure(res, "p2_classifier.png")

usage: p2_classifier.py STORE [--sweep NAME] [-o FIGURE]

Two readings of "train loss".  The head trains the ℓ2-regularized objective
ℓ(W) = CE(W) + (λ/2)‖W‖² (λ = logistic_lambda); [P2] Fig. 2 reports the plain
cross-entropy CE(W).  The table and the figure show both, each labelled: the plain
cross-entropy (the record train_cross_entropy) is the column compared with the paper,
the objective (loss + loss_star) has its own column.  A store written before
train_cross_entropy existed has only the objective: its CE column reads "–" and the
verdict is taken on the objective, as the text says.

The verdict ("smaller init → lower train loss") holds when the median final train loss
(plain cross-entropy) rises with std: Spearman's rank correlation between std and the
median ≥ 0.8 and the smallest std's median below the largest's.  The paper's numbers are
of a pre-trained network's last layer on images, not of this head: compare trends, not
values.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lrsstore  # noqa: E402

# papers.md §4, [P2] Fig. 2 read off: final train loss per std; accuracies only at
# the ends (≈ 89% → 80% train, 83% → 78% test as std grows from 0.025 to 1).
PAPER_TRAIN_LOSS = {0.025: 0.30, 0.05: 0.30, 0.1: 0.30, 0.2: 0.30, 0.4: 0.39, 0.6: 0.47,
                    0.8: 0.54, 1.0: 0.60}
PAPER_TRAIN_ACC = {0.025: 0.89, 1.0: 0.80}
PAPER_TEST_ACC = {0.025: 0.83, 1.0: 0.78}


def _ranks(x):
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    for v in np.unique(x):  # ties share their mean rank
        r[x == v] = r[x == v].mean()
    return r


def spearman(x, y):
    rx, ry = _ranks(np.asarray(x, float)), _ranks(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt(np.sum(rx * rx) * np.sum(ry * ry))
    return float(np.sum(rx * ry) / den) if den > 0 else float("nan")


def rows(store, sweep=None):
    """Per-std medians of the last record of every computed point: the plain
    cross-entropy (`train_ce`, `test_ce`), the objective (`train_objective`: loss +
    loss_star) and the accuracies, with the quartiles of the train ones for figure()."""
    with lrsstore.Store(store) as st:
        name = st.sweep_name(sweep)
        pts = st.points(name)
        done = np.flatnonzero(np.asarray(pts["traj_count"]) > 0)
        # The table compares a LoRA head's train loss and accuracies with [P2] Fig. 2:
        # any other sweep would print numbers that mean something else beside them.
        models = sorted(set(np.asarray(pts["model"])[done].tolist()))
        if models and models != ["lora_head"]:
            raise lrsstore.StoreError(
                "%s: sweep '%s' has %s points, not lora_head: p2_classifier.py reads the store of "
                "sweeps/p2_classifier.toml" % (store, name, ", ".join(models)))
        if not done.size:
            raise lrsstore.StoreError("%s: sweep '%s' has no computed point with records yet" % (store, name))
        per, has_ce = {}, True
        nan = np.full(1, np.nan)
        for i in done:
            tr = st.trajectory(int(i), name)
            has_ce &= "train_cross_entropy" in tr  # absent in stores written before it existed
            a = float(pts["init_scale"][i])
            objective = float(tr["loss"][-1]) + float(pts["loss_star"][i])  # records hold L − ℓ*
            per.setdefault(a, []).append((float(tr.get("train_cross_entropy", nan)[-1]), objective,
                                          float(tr.get("test_cross_entropy", nan)[-1]),
                                          float(tr["test_loss"][-1]), float(tr["train_acc"][-1]),
                                          float(tr["test_acc"][-1])))
        lam = sorted(set(np.asarray(pts["logistic_lambda"], float)[done].tolist()))
    out = []
    for a in sorted(per):
        v = np.array(per[a])
        med = np.median(v, axis=0)
        q = lambda k: tuple(np.percentile(v[:, k], [25, 75]))  # noqa: E731
        out.append({"std": a, "n": len(v), "train_ce": float(med[0]), "train_objective": float(med[1]),
                    "test_ce": float(med[2]), "test_objective": float(med[3]),
                    "train_acc": float(med[4]), "test_acc": float(med[5]),
                    "train_ce_iqr": q(0), "train_objective_iqr": q(1),
                    "paper_train_loss": PAPER_TRAIN_LOSS.get(a, float("nan")),
                    "paper_train_acc": PAPER_TRAIN_ACC.get(a, float("nan")),
                    "paper_test_acc": PAPER_TEST_ACC.get(a, float("nan"))})
    # The verdict is on the paper's reading, the plain cross-entropy, when the store has it.
    reading = "train_ce" if has_ce else "train_objective"
    stds = [r["std"] for r in out]
    med = [r[reading] for r in out]
    rho = spearman(stds, med) if len(out) >= 2 else float("nan")
    finding = bool(len(out) >= 2 and rho >= 0.8 and med[0] < med[-1])
    fmt = lambda x, p="{:.3f}": "–" if x != x else p.format(x)  # noqa: E731
    lam_text = ", ".join("%g" % x for x in lam)
    lines = ["| std | seeds | train CE (median) | paper train loss (CE) | train objective CE + λ/2‖W‖² "
             "(median) | test CE | train acc | paper | test acc | paper |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out:
        lines.append(f"| {r['std']:g} | {r['n']} | {fmt(r['train_ce'], '{:.4f}')} | "
                     f"{fmt(r['paper_train_loss'], '{:.2f}')} | {fmt(r['train_objective'], '{:.4f}')} | "
                     f"{fmt(r['test_ce'], '{:.4f}')} | {fmt(r['train_acc'])} | "
                     f"{fmt(r['paper_train_acc'], '{:.2f}')} | {fmt(r['test_acc'])} | "
                     f"{fmt(r['paper_test_acc'], '{:.2f}')} |")
    note = (f"CE: the plain cross-entropy (1/N)Σ[logsumexp(z_i) − z_(i,c_i)] of the final head, the reading "
            f"[P2] Fig. 2 reports; objective: CE + (λ/2)‖W‖² (λ = {lam_text}), what the head is trained on "
            f"(records: train_cross_entropy; loss + loss_star).")
    if not has_ce:
        note += (" This store was written before train_cross_entropy existed: only the objective is there, "
                 "so the verdict below is on the objective, not on the paper's reading.")
    what = "median train CE" if has_ce else "median train objective"
    verdict = (f"smaller init gave lower train loss: {'yes' if finding else 'no'} "
               f"(Spearman ρ(std, {what}) = {rho:.2f}; median "
               f"{fmt(med[0] if med else float('nan'), '{:.4f}')} at std {stds[0] if stds else '–'} vs "
               f"{fmt(med[-1] if med else float('nan'), '{:.4f}')} at std {stds[-1] if stds else '–'})")
    return {"rows": out, "finding": finding, "spearman": rho, "reading": reading, "lambda": lam,
            "text": "\n".join(lines) + "\n\n" + note + "\n\n" + verdict + "\n"}


def output_options(output, style="screen", dpi=200):
    """The figure's output options as plotutil takes them, checked (a bad path or
    format is a one-line StoreError before any work)."""
    from lrsweep.plots import plotutil

    a = argparse.Namespace(output=output, format=None, dpi=dpi, style=style)
    plotutil.check_output(a)
    return a


def figure(res, output, style="screen", dpi=200):
    """Final train loss against the init scale (log axis), both readings: the plain
    cross-entropy (median, band: quartiles over seeds) beside [P2] Fig. 2's read-off
    values, and the regularized objective; a second panel the accuracies."""
    from lrsweep.plots import plotutil

    a = output_options(output, style, dpi)
    plt = plotutil.apply_style(a)
    rows_ = res["rows"]
    s = np.array([r["std"] for r in rows_])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=plotutil.figsize(a, 10.0, 5.0, panels=2))
    lam = ", ".join("%g" % x for x in res["lambda"])
    ce = np.array([r["train_ce"] for r in rows_])
    if np.isfinite(ce).any():
        lo, hi = np.array([r["train_ce_iqr"] for r in rows_]).T
        ax.fill_between(s, lo, hi, color="C0", alpha=0.2, lw=0)
        ax.plot(s, ce, "o-", color="C0", label=r"$\mathrm{CE}(W)$: plain cross-entropy (median, quartiles)")
    obj = np.array([r["train_objective"] for r in rows_])
    lo, hi = np.array([r["train_objective_iqr"] for r in rows_]).T
    ax.fill_between(s, lo, hi, color="C1", alpha=0.2, lw=0)
    ax.plot(s, obj, "s--", color="C1",
            label=r"$\mathrm{CE}(W) + \frac{\lambda}{2}\Vert W\Vert_F^2$: the objective trained, $\lambda = %s$" % lam)
    paper = np.array([r["paper_train_loss"] for r in rows_])
    ax.plot(s, paper, "k^:", label=r"[P2] Fig. 2: $\mathrm{CE}$ read off (another network and data)")
    ax.set_xscale("log")
    ax.set_xlabel(r"init scale std $\alpha$ of $A$ ($A \sim \mathcal{N}(0, \alpha^2)$, $B = 0$)")
    ax.set_ylabel("final train loss")
    ax.set_title("train loss, two readings")
    top = np.nanmax(np.concatenate([ce, obj, paper]))
    ax.set_ylim(0.0, 1.1 * top)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    for key, mark, col, lab in (("train_acc", "o-", "C0", "train"), ("test_acc", "s-", "C2", "test")):
        bx.plot(s, [r[key] for r in rows_], mark, color=col, label="%s accuracy (median)" % lab)
        pk = "paper_" + key
        bx.plot(s, [r[pk] for r in rows_], "^", color=col, mfc="none", ms=8,
                label="%s, [P2] Fig. 2 read off" % lab)
    bx.set_xscale("log")
    bx.set_xlabel(r"init scale std $\alpha$ of $A$")
    bx.set_ylabel("final accuracy")
    bx.set_title("accuracy")
    lo_acc = np.nanmin([r[k] for r in rows_ for k in ("train_acc", "test_acc", "paper_train_acc", "paper_test_acc")])
    bx.set_ylim(lo_acc - 0.1 * (1.0 - lo_acc), 1.0 + 0.05 * (1.0 - lo_acc))
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.suptitle(r"LoRA on a pre-trained softmax head ([P2] §5.2): final values over %d seeds"
                 % max(r["n"] for r in rows_))
    fig.tight_layout()
    plotutil.savefig(fig, a)
    return a.output


def main():
    ap = lrsstore.ArgumentParser(prog="p2_classifier.py", doc=__doc__)  # one-line usage errors, exit 2
    ap.add_argument("store", help="the store of sweeps/p2_classifier.toml")
    ap.add_argument("--sweep", default=None, help="sweep name (default: the store's only sweep)")
    ap.add_argument("-o", "--output", default=None,
                    help="also draw the figure (train loss in both readings, accuracies) into this file "
                         "(png, pdf or svg by its suffix)")
    ap.add_argument("--style", choices=("screen", "paper"), default="screen",
                    help="paper: 8-pt fonts, the width of a two-column paper")
    a = ap.parse_args()
    if a.output:
        output_options(a.output, a.style)
    res = rows(a.store, a.sweep)
    print(res["text"], end="")
    if a.output:
        print("figure: %s" % figure(res, a.output, a.style))


if __name__ == "__main__":
    lrsstore.main_guard(main)
