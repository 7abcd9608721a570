#!/usr/bin/python3
"""Hostile input is refused up front, with one line, never a signal (TAP): issue 23.

usage: test_hostile.py LRSWEEP

1. Every numeric parameter of `lrsweep params` refuses inf, -inf and nan, fixed in
   its section and as a [grid] list item, naming FILE:LINE:COL of the value (the
   position computed here from the file this test writes).
2. Limits: records ≤ 10^6; an axis of 10^8 values and a grid of 10^15 points are
   refused at once; an axis of 2·10^5 values with one repeat names the two items.
3. Expressions: 20000 '(', 10000 '!', 8000 '||' terms (the stack overflows of the
   issue) are refused with exit 2 and one line; 64 nested '(' work and 65 are
   refused; a chain of 451 '||' evaluates to the rows Python selects.
4. A bad [refine] predicate is refused by plan (FILE:LINE:COL) and by the main
   job before any store or lock file exists.
5. Error lines: a newline and an escape in a file name come out escaped; a
   300-character path is shortened in the middle.
6. SIGTERM at once after the main job installed its handler (seen in /proc's SigCgt),
   and 0.3 s later: exit 75 with one line (or 0 if it was done); the same command
   then completes.
7. Options: a missing value, integers past their range, a FIFO as the store.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

LRSWEEP = os.path.abspath(sys.argv[1])
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", ASAN_OPTIONS="detect_leaks=0")
TAP = Tap()
ok = TAP.ok


def run(*args, timeout=60):
    r = subprocess.run([LRSWEEP, *args], env=ENV, capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def one_line(err):
    lines = [x for x in err.splitlines() if x.strip()]
    return len(lines) == 1 and lines[0].startswith("lrsweep")


def refused(name, got, must=()):
    rc, _, err = got
    good = rc == 2 and one_line(err) and all(m in err for m in must)
    return ok(good, name, f"exit {rc}\n{err}")


def numeric_params():
    """(section, key, is_int, default) of every numeric parameter in `lrsweep params`."""
    _, out, _ = run("params")
    rows = []
    for line in out.splitlines():
        m = re.match(r"\| (\w+) \| `(\w+)` \| (integer|number)[^|]*\| ([^|]*) \|", line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3) == "integer", m.group(4).strip()))
    return rows


def main():
    work = tempfile.mkdtemp(prefix="lrs_hostile_")
    os.chdir(work)
    try:
        # ---- 1. non-finite values ------------------------------------------------
        params = numeric_params()
        ok(len(params) >= 30, f"`lrsweep params` lists {len(params)} numeric parameters")
        for section, key, is_int, default in params:
            for bad in ("inf", "-inf", "nan"):
                if section == "sweep":
                    continue  # replicate: the seed axis, set by replicates
                text = f'[sweep]\nname = "x"\n[{section}]\n{key} = {bad}\n'
                with open("nf.toml", "w") as f:
                    f.write(text)
                col = len(f"{key} = ") + 1
                refused(f"{section}.{key} = {bad}: refused at nf.toml:4:{col}",
                        run("plan", "nf.toml"), [f"nf.toml:4:{col}:"])
            if not is_int:
                first = default if re.fullmatch(r"[0-9.e+-]+", default) else "0.5"
                text = f'[sweep]\nname = "x"\n[grid]\n{key} = [{first}, inf]\n'
                with open("nf.toml", "w") as f:
                    f.write(text)
                col = len(f"{key} = [{first}, ") + 1
                refused(f"[grid] {key} = [{first}, inf]: refused at nf.toml:4:{col}",
                        run("plan", "nf.toml"), [f"nf.toml:4:{col}:", "inf"])
        refused("[run] drain_seconds = inf refused",
                run_text('[sweep]\nname = "x"\n[run]\ndrain_seconds = inf\n'), ["x.toml:4:17:"])

        # ---- 2. limits -----------------------------------------------------------
        refused("records = 1e9 refused (≤ 1000000)",
                run_text('[sweep]\nname = "x"\n[solver]\nrecords = 1000000000\n'),
                ["x.toml:4:11:", "1000000"])
        refused("an axis of 10^8 values refused at once",
                run_text('[sweep]\nname = "x"\n[grid]\n'
                         'sigma2 = {lin = [0, 1], num = 100000000}\n'), ["x.toml:4:"])
        refused("a grid of 10^15 points refused at once",
                run_text('[sweep]\nname = "x"\nreplicates = 1000\n[grid]\n'
                         'width = {lin = [10, 1000009], num = 1000000}\n'
                         'sigma2 = {log = [1e-3, 1], num = 1000000}\n'),
                ["1e15 points", "at most 100000000"])
        values = [str(0.5 + i) for i in range(200000)]
        values[199998] = values[2]
        refused("a repeat in an axis of 2·10^5 values names items 3 and 199999",
                run_text('[sweep]\nname = "x"\n[grid]\nsigma2 = [' + ", ".join(values) + "]\n"),
                ["repeats the value 2.5 (items 3 and 199999)"])
        values[199998] = "7e9"
        rc, out, err = run_text('[sweep]\nname = "x"\n[grid]\nsigma2 = ['
                                + ", ".join(values) + "]\n")
        ok(rc == 0 and "200000 values" in out, "the same axis without the repeat plans", err)
        refused("a sweep name of 64 bytes refused",
                run_text('[sweep]\nname = "' + "n" * 64 + '"\n'), ["at most 63"])

        # ---- 3. expressions ------------------------------------------------------
        with open("small.toml", "w") as f:
            f.write('[sweep]\nname = "small"\n[problem]\ninput_dim = 4\noutput_dim = 3\n'
                    '[solver]\nmax_iter = 5\n[grid]\nwidth = [8, 16, 24, 32]\n'
                    'sigma2 = [0.1, 0.2, 0.3]\n')
        rc, _, err = run("small.toml", "--store", "small.h5", "--quiet")
        ok(rc == 0, "a small store to query", err)
        for what, expr in (("20000 '('", "(" * 20000 + "width > 1" + ")" * 20000),
                           ("10000 '!'", "!" * 10000 + "width"),
                           ("8000 '||'", " || ".join(["width > 1"] * 8001))):
            rc, _, err = run("query", "small.h5", "--where", expr)
            ok(rc == 2 and one_line(err) and "at most 8192" in err,
               f"--where with {what}: exit 2, one line (no signal)", f"exit {rc}\n{err[:300]}")
        deep = "(" * 64 + "width > 10" + ")" * 64
        rc, out, err = run("query", "small.h5", "--where", deep, "--select", "width")
        ok(rc == 0 and len(out.splitlines()) == 1 + 9, "64 nested '(' evaluate", err)
        refused("65 nested '(' refused", run("query", "small.h5", "--where",
                                             "(" + deep + ")"), ["more than 64 nested"])
        refused("65 '!' refused", run("query", "small.h5", "--where", "!" * 65 + "width"),
                ["more than 64 nested"])
        terms = [f"width == {w}" for w in range(100, 550)] + ["width == 16", "width == 32"]
        rc, out, err = run("query", "small.h5", "--where", " || ".join(terms), "--select",
                           "width")
        widths = sorted(int(x) for x in out.split()[1:]) if rc == 0 else []
        ok(rc == 0 and widths == [16] * 3 + [32] * 3,
           "a chain of 451 '||' selects the rows Python does", f"{err}\n{widths}")

        # ---- 4. a bad [refine] predicate, before any store -----------------------
        text = open("small.toml").read().replace('name = "small"', 'name = "ref"')
        text += '[refine]\naxis = "sigma2"\npredicate = \'' + "!" * 100 + 'status\'\n'
        with open("ref.toml", "w") as f:
            f.write(text)
        line = text.splitlines().index("predicate = '" + "!" * 100 + "status'") + 1
        refused("plan refuses a 100-deep [refine] predicate at its FILE:LINE:COL",
                run("plan", "ref.toml"), [f"ref.toml:{line}:13:", "more than 64 nested"])
        refused("the main job refuses it too", run("ref.toml", "--store", "ref.h5"),
                [f"ref.toml:{line}:13:"])
        ok(not os.path.exists("ref.h5") and not os.path.exists("ref.h5.lock"),
           "... before any store or lock file exists", os.listdir("."))

        # ---- 5. one line, escaped and shortened ----------------------------------
        rc, _, err = run("plan", "a\nb\x1b[31m.toml")
        ok(rc == 2 and one_line(err) and "a\\nb\\x1b[31m.toml" in err,
           "a newline and an escape in a path come out escaped", repr(err))
        long_path = "/tmp/" + "/".join(["d" * 100] * 3) + "/x.toml"
        rc, _, err = run("plan", long_path)
        ok(rc == 2 and one_line(err) and "…" in err and len(err) < 200
           and "d/x.toml: No such file or directory" in err, "a 300-character path is shortened",
           err)

        # ---- 6. a stop early in the run: a clean exit 75, not death by signal ---
        import signal
        import time
        for delay in (0.0, 0.3):
            p = subprocess.Popen([LRSWEEP, "small.toml", "--store", "early.h5", "--quiet"],
                                 env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            # From the moment main installs the handler (SigCgt has SIGTERM; the
            # loader and sanitizer start-up before main are not ours), then later.
            end = time.monotonic() + 30
            while time.monotonic() < end and not caught_term(p.pid):
                time.sleep(0.002)
            time.sleep(delay)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            ok(p.returncode in (0, 75) and (p.returncode == 0 or one_line(err)),
               f"SIGTERM {delay} s after the handler: exit 75 with one line (or 0 when done)",
               f"exit {p.returncode}\n{err}")
            rc, _, err = run("small.toml", "--store", "early.h5", "--quiet")
            ok(rc == 0, "... and the same command then completes", err)
            if os.path.exists("early.h5"):
                os.unlink("early.h5")

        # ---- 7. options ----------------------------------------------------------
        refused("a missing option value is not an unknown option",
                run("small.toml", "--store"), ["option '--store' expects a value"])
        refused("--max-chunk past the int range refused, not clamped",
                run("small.toml", "--max-chunk", "99999999999999999999"), ["--max-chunk"])
        refused("--shard past 2^32 refused, not wrapped",
                run("small.toml", "--shard", "4294967297/3"), ["--shard"])
        os.mkfifo("fifo.h5")
        refused("a FIFO as the store is refused (status)", run("status", "fifo.h5", timeout=30),
                ["not a regular file"])
        refused("a FIFO as the store is refused (sweep)",
                run("small.toml", "--store", "fifo.h5", timeout=30), ["not a regular file"])
    finally:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    return TAP.done()


def caught_term(pid):
    """Whether process pid has a handler for SIGTERM (/proc: SigCgt, bit 15 - 1)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> 14 & 1)
    except OSError:
        pass
    return False


def run_text(text):
    with open("x.toml", "w") as f:
        f.write(text)
    return run("plan", "x.toml")


if __name__ == "__main__":
    sys.exit(main())
