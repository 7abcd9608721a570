#!/usr/bin/python3
"""Progress of one long solve (TAP): `lrsweep run` and `rerun` report on stderr where a
solve longer than 2 s stands (iteration, L − ℓ*, L(0) − ℓ*, time, and when max_iter
would come at this pace; GF: t and its step), off a terminal at 2 s and then at most
every 30 s, on a terminal as a live line that is cleared at the end; a short solve and
`--quiet` print nothing there, and stdout is the same either way.

usage: test_progress.py LRSWEEP
"""
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap, duration, summary, trajectory  # noqa: E402

LRS = os.path.abspath(sys.argv[1])
tap = Tap()
check = tap.ok

# ~7–20 s of GD in reduced coordinates (6–15 µs an iteration), 50 records; a fixed step
# this small lowers the loss at every iteration (the descent lemma) and stays far above
# the loss floor, so a reported loss lies between its neighbouring records'.
SWEEP = """
[sweep]
name = "long"
store = "long.h5"
[problem]
input_dim = 10
output_dim = 10
width = 100
[solver]
step_rule = "fixed"
step_size = 1e-8
max_iter = MAX_ITER
tol = 0
record_every = 0
records = 50
"""
MAX_ITER = 1200000
LINE = re.compile(r"^lrsweep (run|rerun): point 0: iteration (\d+) of (\d+), L − ℓ\* (\S+) "
                  r"\(L\(0\) − ℓ\* (\S+)\), (.+?); max_iter in ~(.+)$")


def seconds(text):
    return duration(text)[0]


def stable_lines(stdout):
    """The output but wall_seconds, which differs between any two runs."""
    return [l for l in stdout.splitlines() if not l.startswith("# wall_seconds")]


def field(stdout, name):
    return summary(stdout)[name]


def records(stdout):
    """(step, loss) of every record of `run --trajectory`."""
    tr = trajectory(stdout)
    return list(zip(tr["step"].astype(int), tr["loss"]))


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "long.toml")
    with open(path, "w") as f:
        f.write(SWEEP.replace("MAX_ITER", str(MAX_ITER)))

    RUN = [LRS, "run", path, "--point", "0", "--trajectory"]
    r = subprocess.run(RUN, capture_output=True, text=True, timeout=600)
    lines = r.stderr.splitlines()
    parsed = [LINE.match(l) for l in lines]
    check(r.returncode == 0 and lines and all(parsed),
          f"a {MAX_ITER}-iteration point reports its progress on stderr ({len(lines)} lines; "
          f"exit {r.returncode}): {lines[:2]}")
    if r.returncode == 0 and lines and all(parsed):
        its = [int(m[2]) for m in parsed]
        times = [seconds(m[6]) for m in parsed]
        loss0 = float(field(r.stdout, "loss0"))
        check(its == sorted(set(its)) and all(0 <= i < MAX_ITER for i in its)
              and all(int(m[3]) == MAX_ITER for m in parsed),
              f"the iterations grow within max_iter: {its}")
        check(times[0] >= 2.0 and all(b - a >= min(2.0, a / 2) - 0.05 and b - a <= 30.05
                                      for a, b in zip(times, times[1:])),
              f"off a terminal the first line after 2 s, then half the elapsed time, at most 30 s "
              f"apart: {times}")
        check(all(abs(float(m[5]) - loss0) <= 5e-3 * loss0 for m in parsed),
              f"L(0) − ℓ* is the summary's loss0 ({loss0:.6g}) to the 3 digits shown")
        recs = records(r.stdout)
        bracketed = []
        for m in parsed:
            it, loss = int(m[2]), float(m[4])
            before = max((s, l) for s, l in recs if s <= it)
            after = min((s, l) for s, l in recs if s >= it)
            bracketed.append(after[1] * (1 - 5e-3) <= loss <= before[1] * (1 + 5e-3))
        check(bracketed and all(bracketed),
              f"each reported L − ℓ* lies between the records' before and after its iteration "
              f"(to the 3 digits shown): {[(m[2], m[4]) for m in parsed]}")
        total = float(field(r.stdout, "wall_seconds"))
        eta = [seconds(m[7]) + t for m, t in zip(parsed, times)]
        check(all(0.3 * total <= e <= 3.0 * total for e in eta[1:] or eta),
              f"'max_iter in ~' plus the time so far comes near the solve's {total:.2f} s "
              f"(it runs to max_iter): {[round(e, 2) for e in eta]}")

    q = subprocess.run(RUN + ["--quiet"], capture_output=True, text=True, timeout=600)
    check(q.returncode == 0 and q.stderr == "" and stable_lines(q.stdout) == stable_lines(r.stdout),
          f"--quiet: nothing on stderr ({q.stderr[:80]!r}), the same summary on stdout")

    with open(path, "w") as f:
        f.write(SWEEP.replace("MAX_ITER", "50"))
    s = subprocess.run([LRS, "run", path, "--point", "0"], capture_output=True, text=True,
                       timeout=120)
    check(s.returncode == 0 and s.stderr == "",
          f"a point under 2 s prints no progress ({s.stderr[:80]!r})")

    # rerun reports the same way; its verdict is unchanged by the reports.
    with open(path, "w") as f:
        f.write(SWEEP.replace("MAX_ITER", str(MAX_ITER)))
    m = subprocess.run([LRS, path, "--quiet"], cwd=d, capture_output=True, text=True,
                       timeout=600)
    rr = subprocess.run([LRS, "rerun", "long.h5", "--point", "0"], cwd=d, capture_output=True,
                        text=True, timeout=600)
    rlines = rr.stderr.splitlines()
    check(m.returncode == 0 and rr.returncode == 0 and "identical" in rr.stdout and rlines
          and all(LINE.match(l) and l.startswith("lrsweep rerun:") for l in rlines),
          f"rerun: progress lines on stderr and still 'identical' bit for bit "
          f"(exit {rr.returncode}; {rlines[:1]})")

    # On a terminal of 60 columns: a live line (carriage return, erased to the end) cut
    # to 59 so that it never wraps, cleared at the end.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    p = subprocess.Popen(RUN, stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    raw = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
    out, _ = p.communicate(timeout=600)
    os.close(master)
    text = raw.decode("utf-8", "replace")
    live = [l for l in text.split("\r") if l.startswith("lrsweep run:")]
    check(p.returncode == 0 and len(live) >= 2 and "\n" not in text
          and text.endswith("\r\x1b[K") and all(l.endswith("\x1b[K") for l in live),
          f"on a terminal: {len(live)} live updates of one line, no newline, cleared at the end "
          f"(ends {text[-12:]!r})")
    widths = [len(l[:-len("\x1b[K")]) for l in live]
    check(widths and max(widths) == 59,
          f"on a terminal of 60 columns each live line is cut to 59 (the full line is longer): "
          f"{sorted(set(widths))}")
    check(stable_lines(out) == stable_lines(r.stdout), "on a terminal: the same summary on stdout")

tap.done()
