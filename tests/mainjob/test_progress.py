#!/usr/bin/python3
"""Progress of the main job under mpirun with stderr a pipe (issue 19): the first
line within 5 s of the run's start, lines with per-outcome counts, the sweep's
name and a timestamp; --json-progress objects with the same (TAP output).

usage: test_progress.py LRSWEEP MPIEXEC
"""
import json
import os
import re
import selectors
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Lrsweep, Tap, kill_job  # noqa: E402

job = Lrsweep(sys.argv[1], sys.argv[2])
tap = Tap()
tmp = tempfile.mkdtemp(prefix="lrs-progress-")
os.chdir(tmp)
# ~0.8 s a point (full coordinates, the h-wide loop): 40 points are ~30 s of work
# for the two workers; stopped by SIGUSR1 once the lines to check have come.
with open("slow.toml", "w") as f:
    f.write('[sweep]\nname = "slowprog"\nreplicates = 10\n'
            '[problem]\nwidth = 1000\n'
            '[solver]\nstep_rule = "local"\nmax_iter = 8000\ntol = 0\n'
            'coordinates = "full"\n'
            '[grid]\nsigma2 = [0.01, 0.1, 1.0, 2.0]\n')
import subprocess  # noqa: E402
proc = subprocess.Popen(job.cmd(3, "slow.toml", "--drain-seconds", "30"), env=job.env,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        start_new_session=True)
sel = selectors.DefaultSelector()
sel.register(proc.stderr, selectors.EVENT_READ)
start = first = None
lines = []
end = time.monotonic() + 120
line_re = re.compile(r"^(\d+)/40 points \(\d+%\): (\d+) converged, (\d+) max_iter, "
                     r"(\d+) diverged, (\d+) failed; .* ETA \S+ \[slowprog "
                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]$")
while time.monotonic() < end and len(lines) < 3:
    if not sel.select(timeout=0.5):
        continue
    ln = proc.stderr.readline()
    if not ln:
        break
    now = time.monotonic()
    if "to run on 3 ranks" in ln:
        start = now
    m = line_re.match(ln.rstrip("\n"))
    if m:
        first = first or now
        lines.append((now, m))
proc.send_signal(signal.SIGUSR1) if proc.poll() is None else None
try:
    proc.communicate(timeout=60)
except subprocess.TimeoutExpired:
    kill_job(proc)
tap.ok(start is not None and first is not None and first - start <= 5.0,
       f"the first progress line came {first - start if start and first else None} s after "
       "the run's start (≤ 5 s) with stderr a pipe under mpirun -np 3")
tap.ok(len(lines) >= 3 and all(sum(int(m.group(k)) for k in (2, 3, 4, 5)) == int(m.group(1))
                               for _, m in lines),
       f"{len(lines)} lines, each with converged + max_iter + diverged + failed = done")
gaps = [b[0] - a[0] for a, b in zip(lines, lines[1:])]
tap.ok(all(g < 30 for g in gaps), f"later lines follow at a growing interval below 30 s: {gaps}")

# JSON progress: the same counts, the sweep's name and a UTC timestamp.
with open("quick.toml", "w") as f:
    f.write('[sweep]\nname = "slowprog"\nreplicates = 10\n'
            '[solver]\nstep_rule = "fixed"\nstep_size = 0.05\nmax_iter = 300\n'
            '[grid]\nsigma2 = [0.01, 0.1, 1.0, 2.0]\n')
rc, out, err = job.run(1, "quick.toml", "--store", "json.h5", "--json-progress",
                       "--progress-seconds", "0.1")
objs = [json.loads(ln) for ln in out.splitlines() if ln.strip()] if rc == 0 else []
tap.ok(rc == 0 and objs and all(o["sweep"] == "slowprog" and
                                re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["time"]) and
                                o["converged"] + o["max_iter"] + o["diverged"] + o["failed"]
                                == o["done"] for o in objs) and objs[-1]["done"] == 40,
       f"--json-progress objects carry sweep, time and per-outcome counts ({len(objs)})", err)
shutil.rmtree(tmp)
sys.exit(tap.done())
