#!/usr/bin/python3
"""What the command line tells a user on first contact (the audit of messages and
numbers, TAP output): wrong files where a sweep file or a store goes, options
without their value, counts in the singular, numbers as a person writes them,
help texts that say what the command prints.

usage: test_messages.py LRSWEEP SOURCE_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
tap = Tap()
check = tap.ok
QUICK = os.path.join(ROOT, "sweeps", "quickstart.toml")


def run(*args, cwd=None):
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))


def one_line(r, code=2):
    """The run failed with `code` and said so in exactly one line of stderr."""
    return r.returncode == code and r.stdout == "" and r.stderr.count("\n") == 1


tmp = tempfile.mkdtemp(prefix="lrs-messages-")
one = os.path.join(tmp, "one.toml")
open(one, "w").write('[sweep]\nname = "one"\n[problem]\ninput_dim = 3\noutput_dim = 2\n'
                     'width = 4\n[solver]\nmax_iter = 5\n')
r = run(one, "--quiet", cwd=tmp)
store = os.path.join(tmp, "one.h5")
check(r.returncode == 0 and os.path.exists(store), f"a one-point store is made {r.stderr}")

# --- wrong files where a sweep file goes --------------------------------------------------
r = run("plan", tmp)
check(one_line(r) and r.stderr == f"lrsweep: {tmp}: is a directory, not a sweep file\n",
      f"plan DIRECTORY says it is a directory (was 'read error'): {r.stderr!r}")
r = run("plan", store)
check(one_line(r) and r.stderr == f"lrsweep: {store}: an HDF5 file (a store?), not a sweep "
      "file (TOML text)\n", f"plan STORE says it is an HDF5 file (was 'invalid UTF-8'): "
      f"{r.stderr!r}")
r = run("run", store, "--point", "0")
check(one_line(r) and "an HDF5 file (a store?), not a sweep file" in r.stderr,
      f"run STORE --point 0: the same line: {r.stderr!r}")
r = run(store)
check(one_line(r) and "unknown command" in r.stderr and "lrsweep status STORE" in r.stderr,
      f"lrsweep STORE points to status/query: {r.stderr!r}")

# A data file that is not there: named with the sweep file's line of data_file, as
# written and as resolved (relative to the sweep file's directory).
os.makedirs(os.path.join(tmp, "sub"), exist_ok=True)
open(os.path.join(tmp, "sub", "data.toml"), "w").write(
    '[problem]\ninput_dim = 3\noutput_dim = 2\ndata = "file"\ndata_file = "gone.h5"\n')
r = run("plan", os.path.join("sub", "data.toml"), cwd=tmp)
check(one_line(r) and r.stderr == 'lrsweep: sub/data.toml:5:13: data_file = "gone.h5": '
      'sub/gone.h5: No such file or directory\n',
      f"a missing data file is named with its key and line: {r.stderr!r}")

# The README's example of a sweep-file error is what lrsweep prints for it.
readme = open(os.path.join(ROOT, "README.md")).read()
example = re.search(r"for `(widht = [^`]*)` on line (\d+):\n\n```\n(lrsweep: .*)\n```", readme)
if check(example is not None, "README shows a sweep-file error for a line of [grid]"):
    text, line, want = example.group(1), int(example.group(2)), example.group(3)
    sweep = os.path.join(tmp, "sweep.toml")
    open(sweep, "w").write("[sweep]\nname = \"x\"\n" + "\n" * (line - 4) + "[grid]\n" + text + "\n")
    r = run("plan", "sweep.toml", cwd=tmp)
    check(one_line(r) and r.stderr == want + "\n",
          f"README's error example is the real line: {r.stderr!r} vs {want!r}")

# --- an option given last without its value ----------------------------------------------
for args, opt in ((("points", QUICK, "--format"), "--format"),
                  (("status", store, "--format"), "--format"),
                  (("status", store, "--sweep"), "--sweep"),
                  (("run", QUICK, "--point"), "--point")):
    r = run(*args)
    check(one_line(r) and f"option '{opt}' expects a value" in r.stderr,
          f"{args[0]} ... {opt} (no value): 'expects a value', not 'unknown option': "
          f"{r.stderr!r}")
r = run("status", store, "--frobnicate")
check(one_line(r) and "unknown option '--frobnicate'" in r.stderr,
      f"an option no usage shows is still unknown: {r.stderr!r}")

# --- counts in the singular ---------------------------------------------------------------
r = run("status", store)
check(r.returncode == 0 and re.search(r"^sweep +one .*, 1 point\)$", r.stdout, re.M),
      f"status of a one-point sweep says '1 point': {r.stdout!r}")
# The slowest points' times end in one column ("  #0" padded to 12, then 10 wide),
# counted in characters: "µs" is 2 columns but 3 bytes.
slow = r.stdout.split("slowest\n", 1)[-1].splitlines()[0]
unit = re.match(r"  #0 +\S+ (ms|µs|s)  ", slow)
check(unit and unit.end() == 2 + 1 + 8 + 1 + 10 + 2,
      f"status's slowest list right-aligns the time in characters: {slow!r}")
os.unlink(store)
r = run(one, cwd=tmp)
check(r.returncode == 0 and "lrsweep: one: 1 point, 1 to run on 1 rank\n" in r.stderr and
      "lrsweep: one: 1 point done (" in r.stderr, f"the main job says '1 point': {r.stderr!r}")
r = run(one, cwd=tmp)
check(r.returncode == 0 and r.stderr == "lrsweep: one: nothing to do: 1 of 1 points stored\n",
      f"with nothing to do, no '0 points done' line follows: {r.stderr!r}")

# merge says "1 point", and hints at running the sweep only when points are missing.
merged = os.path.join(tmp, "merged.h5")
r = run("merge", merged, store)
check(r.returncode == 0 and f"merged     1 point into {merged}\n" in r.stdout and
      "missing    0 (every point of the sweep is in" in r.stdout and "to finish" not in r.stdout,
      f"merge of a complete one-point store: {r.stdout!r}")

# A store another writer holds (its flock on STORE.lock): one line, exit 2, as the
# README's exit codes and docs/store.md ("Concurrent use") say.
import fcntl  # noqa: E402
with open(store + ".lock", "a+") as held:
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    r = run(one, cwd=tmp)
check(one_line(r) and "one.h5: store is being written by another process (pid " in r.stderr
      and "wait for it to finish or stop it" in r.stderr,
      f"a locked store: exit 2 and one line: {r.returncode} {r.stderr!r}")

# rerun past the last row says which indices there are, as run does.
r = run("rerun", store, "--point", "7")
check(one_line(r) and r.stderr == "lrsweep: --point 7: sweep one has no such point (it has 1 "
      "point, 0..0)\n", f"rerun --point past the end names the range: {r.stderr!r}")

# --- numbers as a person writes them ------------------------------------------------------
r = run("params")
cells = [re.split(r"(?<!\\)\|", row) for row in r.stdout.splitlines()[2:]]  # not "\|"
defaults = {c[2].strip(): c[4].strip() for c in cells}
check(defaults.get("`horizon`") == "100" and defaults.get("`blowup`") == "1e10" and
      defaults.get("`adam_eps`") == "1e-8" and defaults.get("`model`") == '"two_layer"',
      f"params: 100, 1e10, 1e-8, enums quoted: {[defaults.get(k) for k in ('`horizon`', '`blowup`', '`adam_eps`', '`model`')]}")
check(not re.search(r"\d[eE][+-]?0\d|\d[eE]\+", r.stdout),
      "params: no exponent with '+' or a leading zero (1e+02, 1e-08)")
r = run("plan", QUICK)
cost = re.search(r"^cost     ~(\S+) (\w*)flop, ", r.stdout, re.M)
check(r.returncode == 0 and cost and cost.group(2) == "M" and "e+" not in r.stdout,
      f"plan's cost has an SI prefix, no 'e+': {cost and cost.group(0)}")
wide = os.path.join(tmp, "axes.toml")
open(wide, "w").write('[solver]\nmethod = "gf"\n[grid]\nhorizon = [250, 1e6]\n'
                      'tol = { log = [1e-30, 1e-3], num = 10 }\n')
r = run("plan", wide)
horizon = re.search(r"^  horizon .*?(\S+, \S+)$", r.stdout, re.M)
tol = re.search(r"^  tol .*  (1e-30, .*)$", r.stdout, re.M)
check(r.returncode == 0 and horizon and horizon.group(1) == "250, 1e6",
      f"plan's axis values: 250 and 1e6, not 2.5e+02 and 1e+06: {horizon and horizon.group(0)}")
check(tol and tol.group(1) == "1e-30, 1e-27, 1e-24, 1e-21, …, 1e-12, 1e-9, 1e-6, 0.001",
      f"a long axis: four values, an ellipsis, four values: {tol and tol.group(1)}")

# --- help texts say what the command prints -----------------------------------------------
r = run("plan", "--help")
check(r.returncode == 0 and "memory" in r.stdout and "store's size" in r.stdout,
      "plan --help mentions the memory and store-size lines it prints")
r = run("query", "--help")
usage = r.stdout.split("\n\n", 1)[0]
check(r.returncode == 0 and "--boundary AXIS" in usage, "query's usage lines show --boundary")
r = run("--help")
check(r.returncode == 0 and "held\n            back by the time limit" in r.stdout,
      "--help: exit 75 also for the time limit, as the README says")

sys.exit(tap.done())
