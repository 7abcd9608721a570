#!/usr/bin/python3
"""The report row of [P2] §5.2 / Fig. 2 on the digits head (sweeps/p2_classifier.toml):
per init scale std, the medians over seeds of the final train loss, train and test
accuracy, beside the paper's read-off values (papers.md §4), and whether smaller init
gave lower train loss.

    import p2_classifier
    res = p2_classifier.rows("p2_classifier.h5")   # dict: rows, finding, spearman, text
    print(res["text"])                             # a Markdown table and the verdict

usage: p2_classifier.py STORE [--sweep NAME]

The verdict ("smaller init → lower train loss") holds when the median final train loss
rises with std: Spearman's rank correlation between std and the median ≥ 0.8 and the
smallest std's median below the largest's.  The paper's numbers are of a pre-trained
network's last layer on images, not of this head: compare trends, not values.
"""
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
    """Per-std medians of the last record of every computed point."""
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
        per = {}
        for i in done:
            tr = st.trajectory(int(i), name)
            a = float(pts["init_scale"][i])
            train_loss = float(tr["loss"][-1]) + float(pts["loss_star"][i])  # records hold L − ℓ*
            per.setdefault(a, []).append((train_loss, float(tr["train_acc"][-1]),
                                          float(tr["test_acc"][-1])))
    out = []
    for a in sorted(per):
        v = np.array(per[a])
        out.append({"std": a, "n": len(v), "train_loss": float(np.median(v[:, 0])),
                    "train_acc": float(np.median(v[:, 1])), "test_acc": float(np.median(v[:, 2])),
                    "paper_train_loss": PAPER_TRAIN_LOSS.get(a, float("nan")),
                    "paper_train_acc": PAPER_TRAIN_ACC.get(a, float("nan")),
                    "paper_test_acc": PAPER_TEST_ACC.get(a, float("nan"))})
    stds = [r["std"] for r in out]
    med = [r["train_loss"] for r in out]
    rho = spearman(stds, med) if len(out) >= 2 else float("nan")
    finding = bool(len(out) >= 2 and rho >= 0.8 and med[0] < med[-1])
    fmt = lambda x, p="{:.3f}": "–" if x != x else p.format(x)  # noqa: E731
    lines = ["| std | seeds | train loss (median) | paper | train acc | paper | test acc | paper |",
             "|---|---|---|---|---|---|---|---|"]
    for r in out:
        lines.append(f"| {r['std']:g} | {r['n']} | {fmt(r['train_loss'], '{:.4f}')} | "
                     f"{fmt(r['paper_train_loss'], '{:.2f}')} | {fmt(r['train_acc'])} | "
                     f"{fmt(r['paper_train_acc'], '{:.2f}')} | {fmt(r['test_acc'])} | "
                     f"{fmt(r['paper_test_acc'], '{:.2f}')} |")
    verdict = (f"smaller init gave lower train loss: {'yes' if finding else 'no'} "
               f"(Spearman ρ(std, median train loss) = {rho:.2f}; median "
               f"{fmt(med[0] if med else float('nan'), '{:.4f}')} at std {stds[0] if stds else '–'} vs "
               f"{fmt(med[-1] if med else float('nan'), '{:.4f}')} at std {stds[-1] if stds else '–'})")
    return {"rows": out, "finding": finding, "spearman": rho,
            "text": "\n".join(lines) + "\n\n" + verdict + "\n"}


def main():
    ap = lrsstore.ArgumentParser(prog="p2_classifier.py", doc=__doc__)  # one-line usage errors, exit 2
    ap.add_argument("store", help="the store of sweeps/p2_classifier.toml")
    ap.add_argument("--sweep", default=None, help="sweep name (default: the store's only sweep)")
    a = ap.parse_args()
    print(rows(a.store, a.sweep)["text"], end="")


if __name__ == "__main__":
    lrsstore.main_guard(main)
