#!/usr/bin/python3
"""End-to-end checks of the lrsweep command line (TAP output).

usage: test_cli.py LRSWEEP SOURCE_ROOT
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP, ROOT = sys.argv[1], sys.argv[2]
tap = Tap()
check = tap.ok


def run(*args, cwd=None):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


quick = os.path.join(ROOT, "sweeps", "quickstart.toml")

r = run("--help")
check(r.returncode == 0 and "plan" in r.stdout and "exit codes" in r.stdout, "--help lists commands and exit codes")
r = run("--version")
check(r.returncode == 0 and r.stdout.startswith("lrsweep ") and "git" in r.stdout, f"--version: {r.stdout.strip()}")
r = run()
check(r.returncode == 2, "no arguments is a usage error (exit 2)")
r = run("frobnicate")
check(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, "unknown command: exit 2 and a message")
for cmd in ("plan", "points", "params"):
    r = run(cmd, "--help")
    check(r.returncode == 0 and r.stdout.startswith(f"usage: lrsweep {cmd}"), f"{cmd} --help")

r = run("plan", quick)
check(r.returncode == 0, "plan quickstart succeeds")
check("points   12" in r.stdout, "plan counts 2 widths × 2 σ² × 3 seeds = 12 points")
check("first    #0  seed=0,sigma2=0.01,width=100" in r.stdout, "plan shows the first point's key")
check("last     #11  seed=2,sigma2=1,width=400" in r.stdout, "plan shows the last point's key")
# Memory and store size: the quickstart's records are 12 × (200 + 1) at most, its
# largest matrices (n+m) × (n+m) in reduced coordinates: no warning.
mem = re.search(r"memory   ~([\d.]+) (\w+) per rank at most \(point #\d+\); "
                r"store up to ~([\d.]+) (\w+)", r.stdout)
check(mem and r.stderr == "" and mem.group(4) in ("KiB", "MiB"),
      f"plan prints memory and store size, warns of nothing: {mem and mem.group(0)} {r.stderr}")
with tempfile.TemporaryDirectory() as tmp:
    # 10 copies of (10 + 10) × 10^7 doubles in full coordinates: ~15 GiB.
    wide = os.path.join(tmp, "wide.toml")
    open(wide, "w").write('[problem]\nwidth = 10000000\n[solver]\ncoordinates = "full"\n'
                          'max_iter = 10\n')
    r = run("plan", wide)
    check(r.returncode == 0 and re.fullmatch(
        r"lrsweep plan: warning: point #0 may need ~1\d\.?\d* GiB of memory on its rank "
        r"\(over 4 GiB\): .*\n", r.stderr), f"plan warns of a point's memory: {r.stderr}")
    # Matrix sensing's operator is N × n·m: 24000 × 22500 doubles, 4.02 GiB, plus the
    # loss's copy of it for its singular values, the Newton set-up's scaled copy and
    # its n·m × n·m Hessian, 3.77 GiB (lrs_loss_memory): ~15.8 GiB, while the
    # parameter matrices are tiny.
    sensing = os.path.join(tmp, "sensing.toml")
    open(sensing, "w").write('[problem]\ninput_dim = 150\noutput_dim = 150\nwidth = 150\n'
                             'samples = 24000\nloss = "sensing"\ndata = "gaussian"\n'
                             '[solver]\nmax_iter = 10\n')
    r = run("plan", sensing)
    mem = re.fullmatch(r"lrsweep plan: warning: point #0 may need ~(\d+\.?\d*) GiB of memory "
                       r"on its rank \(over 4 GiB\): .*\n", r.stderr)
    check(r.returncode == 0 and mem and 15.8 <= float(mem.group(1)) <= 15.9,
          f"plan warns of a sensing point's operator and its copies: {r.stderr}")
    # A record every step of 3·10^7 iterations (~224 B each): the records are the
    # memory, so the advice is fewer records, not a group of ranks.
    longrun = os.path.join(tmp, "longrun.toml")
    open(longrun, "w").write('[solver]\nmax_iter = 30000000\nrecord_every = 1\n')
    r = run("plan", longrun)
    m = re.fullmatch(r"lrsweep plan: warning: point #0 may need ~(\d+\.?\d*) GiB of memory on its "
                     r"rank \(over 4 GiB\), ~(\d+\.?\d*) GiB of it for its records if it runs to "
                     r"max_iter: fewer records per point \(records, record_every\)\n", r.stderr)
    check(r.returncode == 0 and m and float(m.group(2)) <= float(m.group(1))
          and float(m.group(2)) >= 3e7 * 100 / 2**30,
          f"plan's memory warning for a point that is mostly records names records: {r.stderr}")
    # 10^4 points × 10^5 records of a few hundred bytes: beyond 20 GiB.
    many = os.path.join(tmp, "many.toml")
    open(many, "w").write('[sweep]\nreplicates = 10000\n[solver]\nmax_iter = 100000\n')
    r = run("plan", many)
    check(r.returncode == 0 and "warning: the store may grow to ~" in r.stderr and
          "records per point (records, record_every)" in r.stderr and
          len(r.stderr.splitlines()) == 1, f"plan warns of the store's size: {r.stderr}")
r = run("plan")
check(r.returncode == 2 and "expected one sweep file" in r.stderr, "plan without a file: exit 2")
r = run("plan", "/nonexistent/sweep.toml")
check(r.returncode == 2 and r.stderr.strip() == "lrsweep: /nonexistent/sweep.toml: No such file or directory",
      f"missing sweep file: one line, exit 2 ({r.stderr.strip()})")
bad = os.path.join(ROOT, "tests", "config", "bad", "typo_grid_key.toml")
r = run("plan", bad)
check(r.returncode == 2 and r.stderr.count("\n") == 1 and "did you mean 'width'" in r.stderr,
      "bad sweep file: one-line error, exit 2")

r = run("points", quick)
lines = r.stdout.strip().split("\n")
check(r.returncode == 0 and len(lines) == 13 and lines[0].split("\t")[:3] == ["index", "hash", "key"],
      "points tsv: header + 12 rows")
cols = [l.split("\t") for l in lines[1:]]
check([int(c[0]) for c in cols] == list(range(12)) and len({c[1] for c in cols}) == 12,
      "indices 0..11, distinct hashes")
r = run("points", quick, "--format", "json")
rows = [json.loads(l) for l in r.stdout.strip().split("\n")]
check(len(rows) == 12 and rows[5]["key"] == cols[5][2] and rows[5]["hash"] == cols[5][1],
      "points json agrees with tsv")
check(rows[3]["width"] == 100 and rows[3]["sigma2"] == 1 and rows[3]["seed"] == 0,
      f"json row 3 values: {rows[3]}")
r = run("points", quick, "--format", "xml")
check(r.returncode == 2 and "tsv or json" in r.stderr, "bad --format is a usage error")

# The sweep's keys do not depend on the order of the file.
with tempfile.TemporaryDirectory() as tmp:
    text = open(quick).read()
    head, grid = text.split("[grid]")
    reordered = "[grid]\n" + "\n".join(reversed(grid.strip().split("\n"))) + "\n" + head
    path = os.path.join(tmp, "quickstart.toml")
    open(path, "w").write(reordered)
    r2 = run("points", path)
    check(r2.stdout == run("points", quick).stdout, "reordered sweep file: same points, keys and hashes")

# run: one point in-process.
r = run("run", quick, "--point", "3")
summary = dict(l.split(None, 1) for l in r.stdout.strip().split("\n"))
check(r.returncode == 0 and summary.get("key") == cols[3][2] and summary.get("hash") == cols[3][1],
      "run --point 3 prints the point's key and hash as `points` does")
check(summary.get("status") == "converged" and int(summary["iterations"]) <= 200 and
      float(summary["final_loss"]) <= 1e-12 * float(summary["loss0"]),
      f"run: converged by tol_rel = 1e-12 within max_iter = 200 ({summary.get('status')})")
r = run("run", quick, "--point", "3", "--trajectory")
lines = r.stdout.strip().split("\n")
head = [l for l in lines if l.startswith("# ")]
tsv = [l.split("\t") for l in lines if not l.startswith("# ")]
check(r.returncode == 0 and tsv[0][:3] == ["step", "time", "loss"] and all(len(t) == len(tsv[0]) for t in tsv),
      "run --trajectory: '# ' summary, then a rectangular TSV")
steps = [int(t[0]) for t in tsv[1:]]
loss0 = float(dict(l[2:].split(None, 1) for l in head)["loss0"])
check(steps[0] == 0 and steps == sorted(steps) and abs(float(tsv[1][2]) - loss0) <= 1e-9 * loss0,
      "trajectory starts at step 0 with loss L0, steps increasing")
r = run("run", quick, "--point", "12")
check(r.returncode == 2 and "outside the grid" in r.stderr, "run --point past the end: exit 2")
r = run("run", quick, "--point", "x")
check(r.returncode == 2 and "expects a point index" in r.stderr, "run --point x: exit 2")
r = run(quick, "--group-size", "two")
check(r.returncode == 2 and "--group-size expects an integer ≥ 1 or 'auto', not 'two'" in r.stderr,
      "sweep --group-size two: exit 2, says what is allowed")

# The README's parameter reference is the output of `lrsweep params`.
readme = open(os.path.join(ROOT, "README.md")).read()
begin, end = "<!-- params:begin -->\n", "<!-- params:end -->"
block = readme.split(begin, 1)[1].split(end, 1)[0] if begin in readme else ""
check(block == run("params").stdout, "README parameter reference matches `lrsweep params`")

# The README's example sweep file is valid.
example = readme.split("## Sweep files", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
    f.write(example)
r = run("plan", f.name)
check(r.returncode == 0, "README's example sweep file passes `lrsweep plan`: " + r.stderr.strip())
os.unlink(f.name)

sys.exit(tap.done())
