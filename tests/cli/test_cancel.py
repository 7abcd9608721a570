#!/usr/bin/python3
"""A stopped main job cancels its running points after the drain (TAP).

usage: test_cancel.py LRSWEEP MPIEXEC

The sweep: 3 quick points (width 400, converge in tens of steps) and 3 long ones
(width 300, tol = tol_rel = 0: 20000 steps, seconds each); the cost model sends the
quick ones first.  Once the quick ones are stored, the job gets its stop signal with
--drain-seconds 0.3, while the long points are mid-solve:

  - mpirun -np 3, SIGTERM to every rank (what SLURM does at a time limit);
  - mpirun -np 3 --group-size 2 (one group of 2 + rank 0), SIGUSR1 to mpirun (what
    jobs/sweep.sbatch forwards);
  - one process (no mpirun), SIGTERM.

Each must end within 30 s of the signal with exit 75, say how many points it
cancelled and how to resume, print no MPI_Abort notice, and leave a store whose
finished rows equal an uninterrupted run's bit for bit while the cancelled points
are pending with no trajectory; the same command then completes the store to the
uninterrupted run's (same rank layout), no point stored twice.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from storecmp import points_of, status_names, store_diff  # noqa: E402
from jobctl import Lrsweep, Tap, descendants, kill_job, wait_done  # noqa: E402

LRS = Lrsweep(sys.argv[1], sys.argv[2])
TAP = Tap()
ok = TAP.ok

SWEEP = """[sweep]
name = "cancel"
replicates = 3
[problem]
input_dim = 20
output_dim = 20
[solver]
step_rule = "local"
coordinates = "full"
max_iter = 20000
tol = 0
[grid]
width = [400, 300]
tol_rel = [1e-12, 0]
zip = [["width", "tol_rel"]]
"""


def rank_pids(proc):
    """The lrsweep processes of an mpirun job."""
    exe = os.path.basename(LRS.exe)
    out = []
    for pid in descendants(proc.pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == exe[:15]:
                    out.append(pid)
        except OSError:
            pass
    return out


def interrupt(what, np_, group, send):
    store = f"{what}.h5"
    proc = LRS.start(np_, "cancel.toml", "--store", store, "--drain-seconds", "0.3",
                     "--group-size", group)
    last = wait_done(proc, 3, limit=120)  # the quick points are stored: long ones run
    time.sleep(0.5)
    t_sig = time.monotonic()
    send(proc)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        kill_job(proc)
        _, err = proc.communicate()
    took = time.monotonic() - t_sig
    ok(last is not None and proc.returncode == 75 and took < 30,
       f"{what}: exit {proc.returncode} {took:.1f} s after the signal (0.3 s drain)", err[-2000:])
    ok("MPI_ABORT" not in err and "MPI_Abort" not in err,
       f"{what}: no MPI_Abort notice on stderr", err[-2000:])
    lines = [ln for ln in err.splitlines() if ln.startswith("lrsweep: interrupted")]
    m = re.search(r"\((\d+) cancelled mid-solve", lines[-1]) if lines else None
    ok(m is not None and int(m.group(1)) >= 1
       and "run the same command again to resume (exit 75)" in lines[-1],
       f"{what}: says how many points were cancelled and how to resume",
       lines[-1:] or err[-1000:])
    # Finished rows only: each equals the uninterrupted run's; the rest is pending
    # and has no trajectory.
    p, _ = points_of(store, "cancel")
    names = status_names(p)
    done = names != "pending"
    diffs = store_diff(store, f"ref_g{group}.h5", "cancel",
                       keep=lambda row: status_names(np.array([row]))[0] != "pending")
    ok(3 <= int(done.sum()) < len(p) and not diffs,
       f"{what}: {int(done.sum())} of {len(p)} points stored, each equal to the "
       "uninterrupted run's", "\n".join(diffs[:20]))
    ok(np.all(p["traj_count"][~done] == 0),
       f"{what}: the {int((~done).sum())} pending points (cancelled or never started) "
       "hold no trajectory", p["traj_count"])
    rc, _, err = LRS.run(np_, "cancel.toml", "--store", store, "--quiet", "--group-size", group)
    diffs = store_diff(f"ref_g{group}.h5", store, "cancel")
    with h5py.File(store, "r") as f:
        att = f["sweeps/cancel/points"]["attempts"]
    ok(rc == 0 and not diffs and np.all(att == 1),
       f"{what}: the same command completes the store to the uninterrupted run's, "
       "every point stored once", err + "\n".join(diffs[:20]))


def main():
    work = tempfile.mkdtemp(prefix="lrs_cancel_")
    os.chdir(work)
    with open("cancel.toml", "w") as f:
        f.write(SWEEP)
    for group in ("1", "2"):
        rc, _, err = LRS.run(3, "cancel.toml", "--store", f"ref_g{group}.h5", "--quiet",
                             "--group-size", group)
        p, _ = points_of(f"ref_g{group}.h5", "cancel")
        names = status_names(p)
        ok(rc == 0 and sorted(names) == ["converged"] * 3 + ["max_iter"] * 3,
           f"uninterrupted run, group size {group}: 3 converged, 3 ran max_iter", err)

    def term_ranks(proc):
        for pid in rank_pids(proc):
            os.kill(pid, signal.SIGTERM)

    interrupt("np3_sigterm_ranks", 3, "1", term_ranks)
    interrupt("np3_group2_sigusr1", 3, "2", lambda proc: proc.send_signal(signal.SIGUSR1))
    interrupt("singleton_sigterm", 1, "1", lambda proc: proc.send_signal(signal.SIGTERM))
    return TAP.done()


if __name__ == "__main__":
    sys.exit(main())
