"""The committed reproduction/REPORT.md (and reproduction/quick/REPORT.md) describe the
sweep files and analysis code in this tree (issue 17 item 7).

analysis/reproduce.py ends every REPORT with a stamp: a SHA-256 over the inputs it was
made from — the sweep files it runs and the analysis code it imports or calls
(reproduce.stamp_inputs) — and one short hash per input.  This test recomputes it from
the files as they are (content only: works in a fresh clone, needs no git history),
and fails naming each input that changed since the REPORT was written.  It also checks
the check: editing a sweep file or the report code changes the digest, editing a file
that is not an input (another analysis script, the README) does not; and that the
full REPORT has no unexplained ("**differs**") row.
Usage: test_report_stamp.py SOURCE_ROOT (TAP output).
"""
import os
import shutil
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(ROOT, "analysis"))
import reproduce  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

tap = Tap()
check = tap.ok


REGEN = {"reproduction": "analysis/reproduce.py --out reproduction --lrsweep BUILD/lrsweep",
         "reproduction/quick": "analysis/reproduce.py --quick --out reproduction/quick --lrsweep BUILD/lrsweep"}
for out, cmd in REGEN.items():
    path = os.path.join(ROOT, out, "REPORT.md")
    if out == "reproduction/quick" and not os.path.exists(path):
        continue  # the quick REPORT is optional; the full one is not
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    why = reproduce.stale_inputs(text, ROOT) if text else ["missing"]
    check(not why, f"{out}/REPORT.md describes this tree's inputs"
          + ("" if not why else f": {'; '.join(why)} — regenerate: {cmd}"))
    if out == "reproduction":
        bad = [line for line in text.splitlines() if "**differs**" in line]
        check(text and not bad, f"{out}/REPORT.md has no unexplained differs row"
              + ("" if not bad else f": {bad[0][:200]}"))

# The check itself, on a copy of the inputs: which edits make a REPORT stale.
inputs = reproduce.stamp_inputs(ROOT)
check(any(p.startswith("sweeps/") for p in inputs) and "analysis/reproduce.py" in inputs
      and "analysis/lrsstore.py" in inputs and "analysis/critical_step.py" not in inputs,
      f"inputs: {len(inputs)} files, the sweeps, reproduce.py and what it imports or runs, not critical_step.py")
tmp = tempfile.mkdtemp(prefix="lrs-stamp-")
try:
    for p in inputs + ["analysis/critical_step.py", "README.md"]:
        os.makedirs(os.path.dirname(os.path.join(tmp, p)) or tmp, exist_ok=True)
        shutil.copy(os.path.join(ROOT, p), os.path.join(tmp, p))
    base = reproduce.stamp_block(tmp)
    check(not reproduce.stale_inputs(base, tmp), "a fresh stamp describes its tree")

    def edited(rel, extra="\n# edited\n"):
        with open(os.path.join(tmp, rel), "a", encoding="utf-8") as fh:
            fh.write(extra)
        why = reproduce.stale_inputs(base, tmp)
        shutil.copy(os.path.join(ROOT, rel), os.path.join(tmp, rel))
        return why

    for rel in ("sweeps/p1_fig2_xu2023.toml", "analysis/reproduce.py", "python/lrsweep/plots/plotutil.py",
                "python/lrsweep/plots/trajectories.py"):
        why = edited(rel)
        check(why == [f"{rel} changed"], f"editing {rel} makes the REPORT stale: {why}")
    for rel in ("analysis/critical_step.py", "README.md"):
        why = edited(rel)
        check(why == [], f"editing {rel} (not an input) leaves it current: {why}")
    os.remove(os.path.join(tmp, "sweeps/p2_h1.toml"))
    why = reproduce.stale_inputs(base, tmp)
    check(why == ["sweeps/p2_h1.toml is gone"], f"a missing input is named: {why}")
    check(reproduce.stale_inputs("no stamp here", tmp) != [], "a REPORT without a stamp is stale")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(tap.done())
