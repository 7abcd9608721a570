#!/usr/bin/python3
"""What the program prints tells the truth and reads as a person writes it (TAP
output), each against the store read with h5py or a rule written out here:

1. query's table: reals to 6 significant digits ("%.6g", exponent without '+' and
   leading zeros), an axis's more only where 6 would show two of its values alike;
   missing values '-'; CSV and JSON exact (the stored doubles, bit for bit).
2. run's summary: a value the point does not have says so ("not reached", "-"),
   never "-1" or "nan"; every other value is the stored one to 10 digits.
3. status and the query table escape control characters of stored messages.
4. status --watch with a value that is not seconds: one line naming it.
5. "did you mean": one rule (edit distance with transpositions ≤ max(1, len/3))
   for columns, sweep-file keys and options; nothing for unrelated short words.
6. query's --predicate errors are labelled --predicate, --where's keep their
   columns when a boundary or pivot adds its own filter.
7. an axis of a parameter the sweep's method does not use (step_size under gf)
   is warned about once, at its line, and what it says is true.

usage: test_readable.py LRSWEEP SOURCE_ROOT
"""
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import MPI_AS_ROOT, Tap  # noqa: E402

LRSWEEP, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
sys.path.insert(0, os.path.join(ROOT, "python"))
from lrsweep.store import _row_check  # noqa: E402  (docs/store.md's FNV-1a, in NumPy)

tap = Tap()
check = tap.ok
tmp = tempfile.mkdtemp(prefix="lrs-readable-")


def run(*args):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, cwd=tmp, timeout=300,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0", **MPI_AS_ROOT))


def write(name, text):
    with open(os.path.join(tmp, name), "w") as f:
        f.write(text)
    return name


def one_line(r, code=2):
    return r.returncode == code and r.stdout == "" and r.stderr.count("\n") == 1


def human(v, digits=6):
    """v as a person writes it: %.{digits}g, the exponent without '+' or leading zeros."""
    text = "%.*g" % (digits, v)
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], text)


def points(store, sweep):
    with h5py.File(os.path.join(tmp, store), "r") as f:
        return f[f"sweeps/{sweep}/points"][...]


def table(text):
    """An aligned table's rows as lists of cells (no cell holds two blanks)."""
    return [re.split(r"\s{2,}", ln.strip()) for ln in text.splitlines()]


# A sweep with what a summary may lack: two_layer points that reach 1e-3 of L0 but
# not 1e-10 in 30 steps, and reference points (GD on W itself), which track no drift.
MIX = write("mix.toml", '[sweep]\nname = "mix"\n[problem]\ninput_dim = 3\noutput_dim = 2\n'
                        'width = 4\n[solver]\nstep_rule = "fixed"\nstep_size = 0.05\n'
                        'max_iter = 30\n[grid]\nmodel = ["two_layer", "reference"]\n'
                        'sigma2 = [0.01, 0.3]\n')
r = run(MIX, "--quiet")
check(r.returncode == 0, "the mixed sweep runs", r.stderr)
P = points("mix.h5", "mix")
F64 = ["final_loss", "rate", "rate_r2", "loss0", "max_drift", "eta_max"]
check(np.isnan(P["max_drift"]).any() and (P["iters_to_10"] == -1).any()
      and np.isfinite(P["final_loss"]).all(),
      "the store has missing values to show (max_drift NaN, iters_to_10 -1)",
      f"{P['max_drift']} {P['iters_to_10']}")

# --- 1. query: a table for reading, CSV and JSON exact ---------------------------------
cols = ["index", "model", "sigma2", "iters_to_3", "iters_to_10"] + F64
r = run("query", "mix.h5", "--select", ",".join(cols))
rows = table(r.stdout)
want = [cols] + [[str(p["index"]), "two_layer" if p["model"] == 0 else "reference",
                  human(p["sigma2"])]
                 + ["-" if p[c] == -1 else str(p[c]) for c in ("iters_to_3", "iters_to_10")]
                 + ["-" if math.isnan(p[c]) else human(p[c]) for c in F64] for p in P]
check(r.returncode == 0 and rows == want,
      "query's table: reals to 6 significant digits as written (1e-8, not 1e-08), missing '-'",
      "\n".join(f"{a}\n{b}" for a, b in zip(rows, want) if a != b) or r.stdout + r.stderr)
check("nan" not in r.stdout and not re.search(r"e[+-]?0|e\+", r.stdout) and "e-" in r.stdout,
      "... no 'nan', exponents as 'e-10', never 'e+' or 'e-07'", r.stdout)
r = run("query", "mix.h5", "--select", ",".join(cols), "--format", "csv")
got = list(csv.DictReader(io.StringIO(r.stdout)))
exact = all((p[c] != p[c] and g[c] == "") or float(g[c]) == p[c] for p, g in zip(P, got) for c in F64)
check(r.returncode == 0 and len(got) == len(P) and exact
      and all(g["iters_to_10"] == ("" if p["iters_to_10"] == -1 else str(p["iters_to_10"]))
              for p, g in zip(P, got)),
      "--format csv is exact: every double read back bit for bit, missing empty", r.stdout)
r = run("query", "mix.h5", "--select", ",".join(cols), "--format", "json")
got = [json.loads(ln) for ln in r.stdout.splitlines()]
check(r.returncode == 0 and len(got) == len(P)
      and all((p[c] != p[c] and g[c] is None) or g[c] == p[c] for p, g in zip(P, got) for c in F64),
      "--format json is exact: the stored doubles, missing null", r.stdout)

# Two values of an axis 6 digits would show alike: the column takes the digits that
# tell them apart; measured values keep 6 (rounded alike is no lie about a point).
NEAR = write("near.toml", '[sweep]\nname = "near"\n[problem]\ninput_dim = 3\noutput_dim = 2\n'
                          'width = 4\n[solver]\nstep_rule = "fixed"\nmax_iter = 3\n'
                          '[grid]\nstep_size = [0.10000001, 0.10000002, 0.2]\n')
r = run(NEAR, "--quiet")
N = points("near.h5", "near")
r = run("query", "near.h5", "--select", "step_size,final_loss")
cells = [row[0] for row in table(r.stdout)[1:]]
check(human(N["step_size"][0]) == human(N["step_size"][1]), "(6 digits would show 0.1 twice)")
check(r.returncode == 0 and cells == ["0.10000001", "0.10000002", "0.2"]
      and [row[1] for row in table(r.stdout)[1:]] == [human(v) for v in N["final_loss"]],
      "an axis whose values 6 digits would merge gets the digits to tell them apart", r.stdout)
r = run("query", "--help")
check("6\n" in r.stdout and "exact" in r.stdout, "query --help: the table is rounded, CSV/JSON exact")

# --- 2. run: a missing value says what it means ------------------------------------------
LEVEL = {"1e-03": "iters_to_3", "1e-06": "iters_to_6", "1e-10": "iters_to_10"}
for k, p in enumerate(P):
    r = run("run", MIX, "--point", str(k))
    lines = [ln.split(None, 1) for ln in r.stdout.splitlines()]
    bad = []
    for label, value in lines:
        col = LEVEL.get(label[len("iters_to_"):], label) if label.startswith("iters_to_") else label
        if col not in P.dtype.names or label in ("wall_seconds", "key", "status", "model"):
            continue
        v = p[col]
        if h5py.check_enum_dtype(P.dtype[col]) or v.dtype.kind == "b":
            continue
        if v.dtype.kind == "i" and v == -1:
            ok = value == ("not reached" if label.startswith("iters_to_") else "-")
        elif v.dtype.kind == "f" and math.isnan(v):
            ok = value == "-"
        elif v.dtype.kind in "iuf":
            ok = value not in ("-", "not reached") and abs(float(value) - v) <= 1e-9 * abs(v)
        else:
            continue
        if not ok:
            bad.append(f"{label} {value!r} (stored {v})")
    shown = dict(lines)
    check(r.returncode == 0 and not bad and not re.search(r"\s(-?nan|-1)$", r.stdout, re.M)
          and (p["iters_to_10"] != -1 or shown.get("iters_to_1e-10") == "not reached")
          and (not math.isnan(p["max_drift"]) or shown.get("max_drift") == "-"),
          f"run point {k} ({'two_layer' if p['model'] == 0 else 'reference'}): 'not reached' "
          "and '-' where the store has -1 and NaN, the stored values elsewhere", bad or r.stdout)

# --- 3. stored messages with control characters -------------------------------------------
MSG = b"GSL: step\nfailed \x1b[31mhere\x1b[0m\tend"
ESC = r"GSL: step\nfailed \x1b[31mhere\x1b[0m\tend"
with open(os.path.join(tmp, "mix.h5"), "rb") as a, open(os.path.join(tmp, "msg.h5"), "wb") as b:
    b.write(a.read())
with h5py.File(os.path.join(tmp, "msg.h5"), "r+") as f:
    ds = f["sweeps/mix/points"]
    rows_ = ds[...]
    rows_["status"][1] = h5py.check_enum_dtype(ds.dtype["status"])["error"]
    rows_["message"][1] = MSG
    rows_["row_check"] = _row_check(rows_)  # a consistent row, as lrsweep writes it
    ds[...] = rows_
r = run("status", "msg.h5")
fails = r.stdout.split("failures 1\n", 1)[-1].splitlines()
check(r.returncode == 0 and "failures 1\n" in r.stdout and "\x1b" not in r.stdout
      and fails[0].startswith("  #1        error: " + ESC + "  [") and len(fails) == 1,
      "status: a stored message with a newline, ESC and a tab stays one escaped line",
      r.stdout[-400:])
r = run("query", "msg.h5", "--select", "index,message,sigma2")
lines = r.stdout.splitlines()
check(r.returncode == 0 and len(lines) == 1 + len(P) and "\x1b" not in r.stdout
      and ESC in lines[2] and lines[2].endswith("0.3")
      and len({len(ln) for ln in lines}) == 1,
      "query's table: the message escaped, every row one line, columns aligned", r.stdout)
r = run("query", "msg.h5", "--select", "message", "--format", "json")
check(json.loads(r.stdout.splitlines()[1])["message"] == MSG.decode(),
      "... and JSON carries the message as stored")

# --- 4. status --watch without seconds --------------------------------------------------
for args, given in ((("mix.h5", "--watch", "abc"), "abc"), (("--watch", "abc", "mix.h5"), "abc"),
                    (("mix.h5", "--watch", "0"), "0"), (("mix.h5", "--watch", "-2"), "-2"),
                    (("mix.h5", "--watch=soon"), "soon")):
    r = run("status", *args)
    check(one_line(r) and r.stderr.startswith(
        "lrsweep status: --watch expects a number of seconds > 0 (or nothing: every 5 s), "
        f"not '{given}'"), f"status {' '.join(args)}: one line naming --watch and '{given}'",
        r.stderr)
r = run("status", "mix.h5", "--watch", "0.5")
check(r.returncode == 0 and "progress 4/4 done" in r.stdout,
      "status --watch 0.5 of a finished store: once, exit 0", r.stderr)
os.link(os.path.join(tmp, "mix.h5"), os.path.join(tmp, "2024.h5"))
r = run("status", "--watch", "2024.h5")
check(r.returncode == 0 and "store    2024.h5" in r.stdout,
      "status --watch 2024.h5: a store whose name starts with digits is the store", r.stderr)
r = run("status", "mix.h5", "near.h5")
check(one_line(r) and "expected one store, got 'mix.h5' and 'near.h5'" in r.stderr,
      "two stores: both named", r.stderr)


# --- 5. one rule for "did you mean" ----------------------------------------------------
def osa(a, b):
    """Edit distance, a transposition of neighbours counting one (written out here)."""
    d = {(i, j): max(i, j) if min(i, j) == 0 else 0 for i in range(len(a) + 1) for j in range(len(b) + 1)}
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i, j] = min(d[i, j], d[i - 2, j - 2] + 1)
    return d[len(a), len(b)]


def expected(word, names):
    best = min(osa(word, n) for n in names)
    pick = next(n for n in names if osa(word, n) == best)
    return pick if best <= max(1, len(word) // 3) else None


names = list(P.dtype.names)
for word in ("foo", "tl", "rat", "widht", "step_sise", "sigam2", "stauts", "xyz", "iters_to_7"):
    r = run("query", "mix.h5", "--select", word)
    pick = expected(word, names)
    hint = f"; did you mean '{pick}'?" if pick else ""
    check(one_line(r) and r.stderr == f"lrsweep: --select: unknown column '{word}'{hint}\n",
          f"--select {word}: {'suggests ' + repr(pick) if pick else 'no suggestion'}", r.stderr)
check(expected("foo", names) is None and expected("widht", names) == "width",
      "(foo is 2 edits from tol: too far for 3 letters; widht is 1 from width)")
for key, pick in (("widht", "width"), ("step_sise", "step_size"), ("foo", None), ("sigam", None)):
    write("typo.toml", f"[grid]\n{key} = [1, 2]\n")
    r = run("plan", "typo.toml")
    check(one_line(r) and f"unknown key '{key}' in [grid]" in r.stderr
          and (f"did you mean '{pick}'?" in r.stderr if pick else "did you mean" not in r.stderr),
          f"sweep file [grid] {key}: {pick or 'no suggestion'}", r.stderr)
for cmd, opt, pick in (("status", "--wacth", "--watch"), ("query", "--selct", "--select"),
                       ("query", "--foo", None), ("status", "--frobnicate", None)):
    r = run(cmd, "mix.h5", opt, "x") if cmd == "query" else run(cmd, "mix.h5", opt)
    check(one_line(r) and f"unknown option '{opt}'" in r.stderr
          and (f"did you mean '{pick}'?" in r.stderr if pick else "did you mean" not in r.stderr),
          f"{cmd} {opt}: {pick or 'no suggestion'}", r.stderr)
r = run("query", "mix.h5", "--boundary", "sigam2", "--predicate", "rate > 0.5")
check(one_line(r) and "not an axis of sweep 'mix'; did you mean 'sigma2'?" in r.stderr,
      "--boundary sigam2: did you mean 'sigma2'", r.stderr)

# --- 6. expressions are labelled with the option they came from -----------------------------
r = run("query", "mix.h5", "--boundary", "sigma2", "--predicate", 'stauts == "converged"')
check(one_line(r) and r.stderr.startswith('lrsweep: --predicate "stauts == "converged"": column 1: '
                                          "unknown column 'stauts'; did you mean 'status'?"),
      "--boundary's --predicate error says --predicate", r.stderr)
r = run("query", "mix.h5", "--pivot", "sigma2,model,status", "--agg", "frac", "--predicate", "key")
check(one_line(r) and r.stderr.startswith('lrsweep: --predicate "key": column 1: --predicate takes'),
      "--agg frac's --predicate error says --predicate", r.stderr)
for extra in (("--boundary", "sigma2", "--predicate", "rate > 0.5"), ("--pivot", "sigma2,model,rate")):
    r = run("query", "mix.h5", "--where", "widht > 1", *extra)
    check(one_line(r) and r.stderr.startswith('lrsweep: --where "widht > 1": column 1: unknown column'),
          f"--where with {extra[0]}: its own text and column, not the filter {extra[0]} adds", r.stderr)
write("ref.toml", '[sweep]\nname = "ref"\n[grid]\nsigma2 = [0.1, 0.2]\n[refine]\naxis = "sigma2"\n'
                  'predicate = "rte < 1"\n')
r = run("plan", "ref.toml")
check(one_line(r) and r.stderr == 'lrsweep: ref.toml:7:13: [refine] predicate "rte < 1": column 1: '
      "unknown column 'rte'; did you mean 'rate'?\n", "a [refine] predicate is named as such", r.stderr)

# --- 7. an axis the method does not use -------------------------------------------------
GF = ('[sweep]\nname = "gf"\n[problem]\ninput_dim = 3\noutput_dim = 2\nwidth = 4\n'
      '[solver]\nmethod = "gf"\nhorizon = 5\nrecords = 20\n[grid]\nstep_size = [0.01, 0.1, 0.5]\n')
write("gf.toml", GF)
line = GF.splitlines().index("step_size = [0.01, 0.1, 0.5]") + 1
WARN = (f"lrsweep: gf.toml:{line}:13: warning: axis step_size: method gf does not use step_size "
        "(it acts with gd, none, adam only), so its 3 values give the same solve\n")
r = run("plan", "gf.toml")
check(r.returncode == 0 and r.stderr == WARN, "plan warns once, at the axis's line", r.stderr)
r = run("gf.toml", "--quiet")
check(r.returncode == 0 and r.stderr == WARN, "the main job warns once too", r.stderr)
with h5py.File(os.path.join(tmp, "gf.h5"), "r") as f:
    pts, traj = f["sweeps/gf/points"][...], f["sweeps/gf/trajectories"][...]
losses = [traj["loss"][p["traj_offset"]:p["traj_offset"] + p["traj_count"]] for p in pts]
check(len(losses) == 3 and all(np.array_equal(losses[0], x) for x in losses[1:]) and len(losses[0]) > 5,
      "... and it is true: the three gf points' trajectories are bit-identical")
check(len(set(pts["eta0"])) == 3, "... only the theory's η0 follows step_size, as the doc says")
# The three points end at the horizon (max_time), which no count of its own covers: the
# progress line (stderr is not a terminal: whole lines) and the last line name them.
os.remove(os.path.join(tmp, "gf.h5"))
r = run("gf.toml")
names = {v: k for k, v in h5py.check_enum_dtype(pts.dtype["status"]).items()}
check([names[v] for v in pts["status"]] == ["max_time"] * 3, "the three gf points end max_time")
lines = r.stderr.splitlines()
check(r.returncode == 0 and any(x.startswith("3/3 points (100%): 0 converged, 0 max_iter, "
                                             "0 diverged, 0 failed, 3 other; ") for x in lines)
      and lines[-1].startswith("lrsweep: gf: 3 points done (0 converged, 0 max_iter, 0 diverged, "
                               "0 failed, 3 other (max_time, theory_only, rule_undefined)) in "),
      "a GF sweep's progress and last lines count its 3 max_time points as other", r.stderr)
for text, warned in ((GF.replace('"gf"', '"gd"').replace("horizon = 5", "max_iter = 5"), False),
                     (GF.replace("step_size = [0.01, 0.1, 0.5]", "horizon = [1, 2]")
                      .replace("horizon = 5\n", "").replace('"gf"', '"gd"'), True),
                     (GF.replace('method = "gf"\n', "") + 'method = ["gd", "gf"]\n', False),
                     (GF.replace("[grid]\nstep_size = [0.01, 0.1, 0.5]", "step_size = 0.1\n"
                                 "[grid]\nsigma2 = [0.01, 0.1]"), False)):
    write("other.toml", text)
    r = run("plan", "other.toml")
    check(r.returncode == 0 and ("warning: axis" in r.stderr) == warned
          and r.stderr.count("\n") == warned,
          f"{'warns' if warned else 'no warning'}: {text.split('[solver]')[1].strip()!r}", r.stderr)

sys.exit(tap.done())
