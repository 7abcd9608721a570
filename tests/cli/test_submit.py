#!/usr/bin/python3
"""`lrsweep submit` without SLURM (TAP): the printed command line, the --time
suggestion against its documented rule and `lrsweep plan`'s cost, the measured
seconds per cost against the store's own wall times, usage errors, and the
submission itself through a stand-in sbatch on PATH that records what it got.
(tests/slurm/test_slurm.sh submits for real.)

usage: test_submit.py LRSWEEP SOURCE_ROOT
"""
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap, duration as format_duration  # noqa: E402

LRSWEEP, ROOT = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
JOBS = os.path.join(ROOT, "jobs")
tap = Tap()
check = tap.ok


ENV = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}


def run(*args, cwd, env=None):
    e = dict(ENV, **(env or {}))
    return subprocess.run([LRSWEEP, *args], capture_output=True, text=True, cwd=cwd, env=e,
                          timeout=120)


def command(r):
    """The printed command (last line) as argv, and the '#' lines."""
    lines = r.stdout.strip().split("\n")
    return shlex.split(lines[-1]), [l for l in lines[:-1] if l.startswith("# ")]


def lead_of(seconds):
    """The documented warning lead: a tenth of the limit, within [60, 300], at most half."""
    return min(seconds // 2, min(300, max(60, seconds // 10)))


def fmt(seconds):
    d, s = divmod(seconds, 86400)
    hms = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{d}-{hms}" if d else hms


def duration(pattern, lines):
    """jobctl.duration of pattern's group 1 in the first line it matches; (nan, nan)
    when none does."""
    text = next((m.group(1) for m in (re.search(pattern, l) for l in lines) if m), None)
    return (math.nan, math.nan) if text is None else format_duration(text)


def number(pattern, lines):
    for l in lines:
        m = re.search(pattern, l)
        if m:
            return float(m.group(1))
    return math.nan


tmp = tempfile.mkdtemp(prefix="lrs-submit-")
os.makedirs(os.path.join(tmp, "sweeps"))
quick_text = open(os.path.join(ROOT, "sweeps", "quickstart.toml")).read()
open(os.path.join(tmp, "sweeps", "quickstart.toml"), "w").write(quick_text)

r = run("submit", "--help", cwd=tmp)
check(r.returncode == 0 and r.stdout.startswith("usage: lrsweep submit"), "submit --help")

# The README's line, dry: exactly the documented command.
r = run("submit", "sweeps/quickstart.toml", "--ntasks", "3", "--time", "00:05:00", "--dry-run", cwd=tmp)
argv, notes = command(r)
want = [f"LRS_BIN={LRSWEEP}", "LRS_DRAIN=48", "sbatch", "--ntasks=3", "--time=00:05:00",
        "--signal=B:USR1@60", "--export=ALL", f"{JOBS}/sweep.sbatch", "sweeps/quickstart.toml"]
check(r.returncode == 0 and argv == want, f"quickstart --time 00:05:00: {' '.join(argv)}")
check(any(l.startswith("# sweep quickstart: 12 points, 12 to run, store quickstart.h5") for l in notes),
      "the estimate names the sweep, its 12 points and the store")
check(not os.path.exists(os.path.join(tmp, "quickstart.h5")), "--dry-run creates no store")

# Lead and drain follow the limit: T/10 within [60, 300] and ≤ T/2, drain 4/5 of it.
for given, seconds in (("1", 60), ("1:30", 90), ("20", 1200), ("1:30:00", 5400), ("90:30", 5430), ("1-00", 86400),
                       ("2-3:04:05", 2 * 86400 + 3 * 3600 + 245)):
    r = run("submit", "sweeps/quickstart.toml", "--time", given, "--dry-run", cwd=tmp)
    argv, _ = command(r)
    lead = lead_of(seconds)
    check(r.returncode == 0 and f"--time={given}" in argv and f"--signal=B:USR1@{lead}" in argv
          and f"LRS_DRAIN={lead * 4 // 5}" in argv,
          f"--time {given} = {seconds} s: lead {lead}, drain {lead * 4 // 5}")
r = run("submit", "sweeps/quickstart.toml", "--hours", "2.5", "--dry-run", cwd=tmp)
argv, _ = command(r)
check("--time=02:30:00" in argv and "--signal=B:USR1@300" in argv, "--hours 2.5 is --time 02:30:00")

# Without --time: the minimum (10 min) for a tiny sweep.
r = run("submit", "sweeps/quickstart.toml", "--dry-run", cwd=tmp)
argv, notes = command(r)
check("--time=00:10:00" in argv and "--ntasks=3" in argv, "tiny sweep: 10 min suggested, 3 tasks by default")

# The suggestion from the cost model at 5 GFLOP/s per core: 4 equal points of
# plan's cost C/4 each, W = P − 1 workers: predicted C/5e9 core-seconds, a
# job of max(C/5e9/W, C/4/5e9) s, suggested ceil_min(1.25 × job + 300 + 120)
# within [600, 86400].
big = os.path.join(tmp, "big.toml")
open(big, "w").write("""[sweep]
name = "big"
replicates = 4
[problem]
width = 10000
[solver]
coordinates = "full"
max_iter = 1800000
""")
plan = subprocess.run([LRSWEEP, "plan", big], capture_output=True, text=True).stdout
m = re.search(r"cost\s+~(\S+) ([kMGTPE]?)flop", plan)  # 3 significant digits, SI prefix
cost = float(m.group(1)) * 1000.0 ** " kMGTPE".index(m.group(2) or " ")
for ntasks in (3, 5, 2, 33):
    r = run("submit", big, "--ntasks", str(ntasks), "--dry-run", cwd=tmp)
    argv, notes = command(r)
    predicted, dp = duration(r"predicted: (.+?) of core time", notes)
    workers = max(1, ntasks - 1)
    job, dj = duration(r"; (.+?) per job on", notes)
    ok = (abs(predicted - cost / 5e9) <= 0.005 * cost / 5e9 + dp
          and abs(job - predicted / workers) <= dj + dp / workers)
    need = [1.25 * max(c / 5e9 / workers, c / 4 / 5e9) + 420 for c in (cost * 0.995, cost * 1.005)]
    lo, hi = (min(max(600, 60 * math.ceil(x / 60)), 86400) for x in need)
    t = next((a[len("--time="):] for a in argv if a.startswith("--time=")), "")
    secs = sum(int(x) * m for x, m in zip(reversed(re.split("[-:]", t)), (1, 60, 3600, 86400)))
    check(ok and lo <= secs <= hi,
          f"--ntasks {ntasks}: predicted {predicted:.4g} core-s = plan's {cost:.3g} flop at 5 GFLOP/s, "
          f"suggested --time {t} in [{fmt(lo)}, {fmt(hi)}]")
# A given time shorter than the costliest point (C/4 at 5 GFLOP/s): a warning in
# durations, with the time a 10 min job has before its warning (L = 60 s).
r = run("submit", big, "--ntasks", "3", "--time", "00:10:00", "--dry-run", cwd=tmp)
warn = [l for l in r.stderr.splitlines() if "may never finish" in l]
costliest, dc = duration(r"predicted to take (.+?), more than", warn)
before, _ = duration(r"more than the (.+?) a job of", warn)
job, _ = duration(r"a job of (.+?) has before", warn)
check(r.returncode == 0 and len(warn) == 1 and abs(costliest - cost / 4 / 5e9) <= 0.005 * cost / 2e10 + dc
      and before == 540 and job == 600,
      f"--time 00:10:00 below the costliest point: one warning in durations ({warn})")
r = run("submit", big, "--ntasks", "3", "--chain", "4", "--dry-run", cwd=tmp)
argv, notes = command(r)
check(argv[2:6] == [f"{JOBS}/chain.sh", "4", big, "--ntasks=3"]
      and abs(duration(r"; (.+?) per job of the chain", notes)[0] - cost / 5e9 / 2 / 4)
      <= 0.005 * cost / 4e10 + duration(r"; (.+?) per job of the chain", notes)[1],
      "--chain 4: jobs/chain.sh 4 SWEEP, a quarter of the work per job")
r = run("submit", "sweeps/quickstart.toml", "--array", "3", "--store", "q.h5", "--dry-run", cwd=tmp)
argv, notes = command(r)
check(argv[2:7] == [f"{JOBS}/submit_array.sh", "3", "sweeps/quickstart.toml", "q.h5", "--ntasks=3"]
      and any("s per shard" in l for l in notes), "--array 3 --store q.h5: jobs/submit_array.sh 3 SWEEP q.h5")

# Measured speed: 6 points of equal cost, 3 run (shard 0 of 2): the 3 left are
# predicted to take what the 3 done took, Σ wall_seconds of the store.
eq = os.path.join(tmp, "eq.toml")
open(eq, "w").write(quick_text.replace("width = [100, 400]", "width = [200]")
                    .replace('store = "quickstart.h5"', 'store = "eq.h5"').replace('name = "quickstart"', 'name = "eq"'))
sh = subprocess.run([LRSWEEP, eq, "--shard", "0/2", "--quiet"], capture_output=True, text=True, cwd=tmp)
q = subprocess.run([LRSWEEP, "query", "eq.h5", "--where", 'status != "pending"', "--select", "wall_seconds",
                    "--format", "csv"], capture_output=True, text=True, cwd=tmp)
walls = [float(x) for x in q.stdout.split()[1:]]
r = run("submit", eq, "--ntasks", "3", "--dry-run", cwd=tmp)
argv, notes = command(r)
predicted, dp = duration(r"predicted: (.+?) of core time", notes)
check(sh.returncode == 0 and len(walls) == 3 and any("3 to run" in l for l in notes)
      and any("measured on 3 finished points of eq.h5" in l for l in notes)
      and abs(predicted - sum(walls)) <= dp,
      f"measured: 3 left predicted {predicted:.6g} core-s = the 3 done's Σ wall {sum(walls):.6g}")

# Extra sbatch options after `--`, after lrsweep's own; overrides of the paths.
r = run("submit", "sweeps/quickstart.toml", "--account", "acc", "--partition", "p q", "--store", "s.h5",
        "--dry-run", "--", "--qos=x", "--comment=a b'c", cwd=tmp,
        env={"LRS_BIN": "/opt/x/lrsweep", "LRS_JOBS": JOBS})
argv, _ = command(r)
check(argv == ["LRS_BIN=/opt/x/lrsweep", "LRS_DRAIN=48", "sbatch", "--ntasks=3", "--time=00:10:00",
               "--signal=B:USR1@60", "--account=acc", "--partition=p q", "--export=ALL", "--qos=x",
               "--comment=a b'c", f"{JOBS}/sweep.sbatch", "sweeps/quickstart.toml", "--store", "s.h5"],
      f"options in order, quoted for the shell: {r.stdout.strip().split(chr(10))[-1]}")

# Usage errors: exit 2, one line and the help pointer.
for args, msg in ((["--time", "1:00:00", "--hours", "1"], "not both"),
                  (["--time", "1:2:3:4"], "sbatch's format"), (["--time", "0"], "non-zero"),
                  (["--time", "1:xx"], "sbatch's format"), (["--hours", "-1"], "--hours expects"),
                  (["--ntasks", "0"], "--ntasks expects"), (["--array", "2", "--chain", "2"], "not both"),
                  (["--qos", "x"], "sbatch options go after `--`"), (["--time"], "expects a value")):
    r = run("submit", "sweeps/quickstart.toml", "--dry-run", *args, cwd=tmp)
    check(r.returncode == 2 and r.stderr.startswith("lrsweep submit: ") and msg in r.stderr
          and r.stdout == "", f"{' '.join(args)}: exit 2 ({r.stderr.splitlines()[0] if r.stderr else ''})")
r = run("submit", "--dry-run", cwd=tmp)
check(r.returncode == 2 and "expected a sweep file" in r.stderr, "no sweep file: exit 2")
open(os.path.join(tmp, "bad.toml"), "w").write("[grid]\nwidht = [1]\n")
r = run("submit", "bad.toml", "--dry-run", cwd=tmp)
check(r.returncode == 2 and r.stderr.count("\n") == 1 and "bad.toml:2:" in r.stderr and "did you mean 'width'" in r.stderr,
      f"invalid sweep file: one line, exit 2 ({r.stderr.strip()})")
r = run("submit", "sweeps/quickstart.toml", "--dry-run", cwd=tmp, env={"LRS_JOBS": "/nonexistent"})
check(r.returncode == 2 and "/nonexistent/sweep.sbatch" in r.stderr and "LRS_JOBS" in r.stderr,
      f"no job scripts: exit 2 ({r.stderr.strip()})")

# Submitting: a stand-in sbatch records its arguments and environment.
fake = os.path.join(tmp, "bin")
os.makedirs(fake)
with open(os.path.join(fake, "sbatch"), "w") as f:
    f.write('#!/bin/sh\nprintf "%s\\n" "$@" >"$FAKE_OUT"\nprintf "%s\\n" "$LRS_BIN" "$LRS_DRAIN" >>"$FAKE_OUT"\n'
            'echo "Submitted batch job 42"\nexit "${FAKE_RC:-0}"\n')
os.chmod(os.path.join(fake, "sbatch"), 0o755)
rec = os.path.join(tmp, "sbatch.args")
env = {"PATH": fake + ":" + os.environ["PATH"], "FAKE_OUT": rec}
r = run("submit", "sweeps/quickstart.toml", "--ntasks", "3", "--time", "00:05:00", "--", "-J", "x y",
        cwd=tmp, env=env)
argv, _ = command(subprocess.CompletedProcess([], 0, r.stdout.replace("Submitted batch job 42\n", "")))
got = open(rec).read().split("\n")[:-1] if os.path.exists(rec) else []
check(r.returncode == 0 and r.stdout.endswith("Submitted batch job 42\n")
      and got == argv[3:] + [LRSWEEP, "48"],
      "submitted: sbatch got the printed arguments, LRS_BIN and LRS_DRAIN")
r = run("submit", "sweeps/quickstart.toml", cwd=tmp, env=dict(env, FAKE_RC="3"))
check(r.returncode == 3, f"sbatch's exit status is submit's ({r.returncode})")
r = run("submit", "sweeps/quickstart.toml", cwd=tmp, env={"PATH": "/nonexistent"})
check(r.returncode == 1 and "cannot run sbatch" in r.stderr, f"no sbatch: exit 1 ({r.stderr.strip()})")

subprocess.run(["rm", "-rf", tmp])
sys.exit(tap.done())
