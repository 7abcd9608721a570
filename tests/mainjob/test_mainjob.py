#!/usr/bin/python3
"""Acceptance of the main job, `[mpirun -np P] lrsweep SWEEP.toml` (TAP).

usage: test_mainjob.py LRSWEEP MPIEXEC

1. P = 1 (singleton), 2 and 4 give the same store: every points column except the
   run-dependent ones (docs/store.md: wall_seconds, attempts, rank, traj_offset, and
   row_check, which hashes them) bit-identical, and every point's trajectory too.
   With [run] group_size = "auto" (threshold h = 64), P = 5 (2 groups of 2) gives the
   store of P = 3 (1 group of 2); against P = 1 the shared-out small points are
   bit-identical and the wide points (solved on groups) agree to the dist backend's bound.
2. A sweep of fixed step sizes from stable to 10x above 2/K_0 (K_0 = K_t at t = 0,
   measured by `lrsweep run` first) exits 0, the unstable points `diverged`.
3. SIGTERM (singleton) and SIGUSR1 to mpirun -np 3, and -np 5 with group size auto
   (groups of 2 sharing chunks out) (Open MPI 4.1 forwards SIGUSR1 to the ranks:
   "Forwarding signal 10 to job") give exit 75 and a readable, partial store; the same
   command resumes it to an uninterrupted run's.  (SIGTERM to mpirun is not forwarded as
   such: mpirun ends the job itself and exits 1, although rank 0 drains and closes the
   store.)  After the signal, a worker's chunk stops after its running point.
4. SIGKILL of the job (process group, mpirun and every rank) mid-sweep: the lock of the
   dead writer does not block the rerun, which ends equal to an uninterrupted run.
5. Progress: --json-progress, --quiet, periodic lines off a terminal.
6. Faults: msbdf on a too-large problem is an `error` point with its message, a tiny
   max_point_seconds gives `timeout` points, and the sweep goes on.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from storecmp import points_of, status_names, store_diff  # noqa: E402
from jobctl import Lrsweep, Tap, kill_job, wait_done  # noqa: E402

LRS = Lrsweep(sys.argv[1], sys.argv[2])
LRSWEEP, ENV, run = LRS.exe, LRS.env, LRS.run
TAP = Tap()
ok = TAP.ok


# ---- reading stores ----------------------------------------------------------------

def done_count(path, sweep):
    p, _ = points_of(path, sweep)
    return int(np.sum(status_names(p) != "pending")), len(p)


# ---- interrupting ------------------------------------------------------------------

def start_json(np_, toml, *opts):
    return LRS.start(np_, toml, *opts)


def main():
    work = tempfile.mkdtemp(prefix="lrs_mainjob_")
    os.chdir(work)

    # ---- 1. identical stores for P = 1, 2, 4 --------------------------------------
    with open("small.toml", "w") as f:
        f.write('[sweep]\nname = "small"\nreplicates = 2\n'
                '[problem]\ninput_dim = 6\noutput_dim = 5\n'
                '[solver]\nstep_rule = "local"\nmax_iter = 40\nhorizon = 3.0\n'
                '[grid]\nwidth = [12, 40]\nsigma2 = [0.01, 1.0]\nmethod = ["gd", "gf"]\n')
    stores = {}
    for np_ in (1, 2, 4):
        store = f"small_p{np_}.h5"
        rc, _, err = run(np_, "small.toml", "--store", store, "--quiet")
        ok(rc == 0, f"P = {np_}: small sweep exits 0", err)
        d, total = done_count(store, "small")
        ok(d == total == 16, f"P = {np_}: all {total} points done", f"{d}/{total}")
        stores[np_] = store
    # The set-up cache (lrsweep/problem.h) changes nothing: off, and with the grid's
    # values reversed (other indices, another solving order), the same point by key.
    ENV["LRS_SETUP_CACHE_MIB"] = "0"
    rc, _, err = run(1, "small.toml", "--store", "small_nocache.h5", "--quiet")
    del ENV["LRS_SETUP_CACHE_MIB"]
    diffs = store_diff(stores[1], "small_nocache.h5", "small")
    ok(rc == 0 and not diffs, "P = 1 without the set-up cache: the same store",
       err + "\n".join(diffs))
    with open("small.toml") as f_in, open("small_rev.toml", "w") as f_out:
        f_out.write(f_in.read().replace("[12, 40]", "[40, 12]").replace("[0.01, 1.0]", "[1.0, 0.01]")
                    .replace('["gd", "gf"]', '["gf", "gd"]'))
    for np_ in (1,):  # one more run only: this test is long; P > 1 equals P = 1 above
        rc, _, err = run(np_, "small_rev.toml", "--store", f"small_rev{np_}.h5", "--quiet")
        pa, ta = points_of(stores[1], "small")
        pr, tr = points_of(f"small_rev{np_}.h5", "small")
        at = {k: i for i, k in enumerate(pr["key"])}
        bad = [k for i, k in enumerate(pa["key"]) if k not in at or any(
            not np.array_equal(pa[c][i], pr[c][at[k]], equal_nan=pa[c].dtype.kind == "f")
            for c in ("status", "iterations", "final_loss", "loss_star", "eta_max"))
            or not np.array_equal(
                ta[pa["traj_offset"][i]:pa["traj_offset"][i] + pa["traj_count"][i]]["loss"],
                tr[pr["traj_offset"][at[k]]:pr["traj_offset"][at[k]] + pr["traj_count"][at[k]]]
                ["loss"], equal_nan=True)]
        ok(rc == 0 and not bad, f"P = {np_}, the grid's values reversed: every point (by key) "
           "has the same outcome, losses and trajectory", err + str(bad))
    with h5py.File(stores[4], "r") as f:
        ranks = set(f["sweeps/small/points"]["rank"].tolist())
    ok(len(ranks) >= 2, "P = 4: points were solved on more than one rank", ranks)
    for np_ in (2, 4):
        diffs = store_diff(stores[1], stores[np_], "small")
        ok(not diffs, f"P = {np_} store equals P = 1 (columns and trajectories)",
           "\n".join(diffs))
    p1, t1 = points_of(stores[1], "small")
    ok(np.all(p1["traj_count"] > 0) and len(t1) >= int(np.sum(p1["traj_count"])),
       "every point has trajectory records")

    # ---- 1b. group_size = "auto": wide points on groups, small ones shared out ----
    with open("auto.toml", "w") as f:
        f.write('[sweep]\nname = "auto"\nreplicates = 2\n'
                '[problem]\ninput_dim = 6\noutput_dim = 5\n'
                '[solver]\nstep_rule = "local"\nmax_iter = 40\ncoordinates = "full"\n'
                '[grid]\nwidth = [12, 40, 72]\nsigma2 = [0.01, 1.0]\n'
                '[run]\ngroup_size = "auto"\ngroup_threshold = 64\n')
    for np_ in (1, 3, 5):
        rc, _, err = run(np_, "auto.toml", "--store", f"auto_p{np_}.h5")
        ok(rc == 0 and done_count(f"auto_p{np_}.h5", "auto") == (12, 12),
           f"group_size auto, P = {np_}: 12 points done", err)
        if np_ == 5:
            ok("groups of 2, points of width ≥ 64 on a whole group" in err,
               "P = 5: auto picks groups of 2 and says so", err)
    diffs = store_diff("auto_p3.h5", "auto_p5.h5", "auto")
    ok(not diffs, "auto: P = 5 (2 groups of 2) store equals P = 3 (1 group of 2)",
       "\n".join(diffs))
    small = lambda row: row["width"] < 64
    diffs = store_diff("auto_p1.h5", "auto_p5.h5", "auto", keep=small)
    ok(not diffs, "auto: points below the threshold (shared out, MPI_COMM_SELF) equal P = 1",
       "\n".join(diffs))
    a1, _ = points_of("auto_p1.h5", "auto")
    a5, _ = points_of("auto_p5.h5", "auto")
    wide = a1["width"] >= 64
    # The dist backend sums in another order: the bound of tests/solve/test_solve_dist.c.
    loss1, loss5, l0 = a1["final_loss"][wide], a5["final_loss"][wide], a1["loss0"][wide]
    close = np.abs(loss5 - loss1) <= 1e-10 * loss1 + 1e-12 * np.sqrt(loss1 * l0)
    ok(bool(np.all(close)), "auto: wide points (on groups of 2) agree with P = 1 "
       "(|dL| <= 1e-10 L + 1e-12 sqrt(L L0))", list(zip(loss1, loss5)))
    ok(set(a5["rank"][wide].tolist()) <= {1, 3} and
       bool(set(a5["rank"][~wide].tolist()) & {2, 4}),
       "auto: wide points reported by group leaders, small ones also by members",
       list(zip(a5["width"], a5["rank"])))

    # ---- 2. a diverging region -----------------------------------------------------
    probe = '[sweep]\nname = "div"\n[problem]\nwidth = 100\n[solver]\n' \
            'step_rule = "fixed"\nmax_iter = 300\n'
    with open("probe.toml", "w") as f:
        f.write(probe + "step_size = 1e-6\n")
    r = subprocess.run([LRSWEEP, "run", "probe.toml", "--point", "0", "--trajectory"],
                       env=ENV, capture_output=True, text=True)
    rows = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith("#")]
    head = next(i for i, ln in enumerate(rows) if ln.startswith("step\t"))
    cols = rows[head].split("\t")
    k0 = float(rows[head + 1].split("\t")[cols.index("K_t")])
    thr = 2.0 / k0
    factors = [0.01, 0.1, 0.3, 0.5, 4.0, 6.0, 10.0]
    with open("div.toml", "w") as f:
        f.write(probe + "[grid]\nstep_size = [" +
                ", ".join(repr(thr * x) for x in factors) + "]\n")
    rc, _, err = run(2, "div.toml", "--quiet")
    ok(rc == 0, f"diverging sweep (eta from 0.01 to 10 x 2/K_0, 2/K_0 = {thr:.3g}) exits 0",
       err)
    p, _ = points_of("div.h5", "div")
    st = status_names(p)
    stable = p["step_size"] <= 0.5 * thr
    ok(np.all(np.isin(st[stable], ["converged", "max_iter"])),
       "points with eta <= 2/K_0 / 2 converged or hit max_iter", list(zip(p["step_size"], st)))
    ok(np.all(st[~stable] == "diverged"), "points with eta >= 4 x 2/K_0 diverged",
       list(zip(p["step_size"], st)))
    ok(np.all(p["final_loss"][stable] < p["loss0"][stable]), "stable points lowered the loss")

    # ---- 5 (part). periodic progress lines off a terminal; reference of 3/4 --------
    # about 0.8 s a point: full coordinates run the h-wide loop (reduced ones
    # would make these points k×k, too fast to be interrupted)
    with open("slow.toml", "w") as f:
        f.write('[sweep]\nname = "slow"\nreplicates = 4\n'
                '[problem]\nwidth = 1000\n'
                '[solver]\nstep_rule = "local"\nmax_iter = 8000\ntol = 0\n'
                'coordinates = "full"\n'
                '[grid]\nsigma2 = [0.01, 0.1, 1.0, 2.0]\n')
    rc, out, err = run(1, "slow.toml", "--store", "ref.h5", "--progress-seconds", "0.3")
    ok(rc == 0, "reference run of the slow sweep exits 0", err)
    lines = [ln for ln in err.splitlines() if re.match(r"^\d+/16 points \(\d+%\)", ln)]
    ok(len(lines) >= 3, f"non-TTY progress: {len(lines)} periodic lines at 0.3 s", err)
    ok(err.splitlines()[-1].startswith("lrsweep: slow: 16 points done"),
       "non-TTY progress ends with the summary line", err)
    ok(out == "", "non-JSON progress prints nothing on stdout", out)

    # ---- 3. stop signals, then resume ----------------------------------------------
    for np_, sig, what, group in (
            (1, signal.SIGTERM, "singleton SIGTERM", "1"),
            (3, signal.SIGUSR1, "SIGUSR1 to mpirun -np 3", "1"),
            (5, signal.SIGUSR1, "SIGUSR1 to mpirun -np 5, group size auto (shared chunks)",
             "auto")):
        store = f"sig_p{np_}.h5"
        proc = start_json(np_, "slow.toml", "--store", store, "--drain-seconds", "20",
                          "--group-size", group)
        last = wait_done(proc, 2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        ok(proc.returncode == 75, f"{what}: exit code 75", f"rc {proc.returncode}\n{err}")
        ok("run the same command again to resume" in err, f"{what}: says how to resume", err)
        final = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
        ok(final and final[-1]["final"] and final[-1]["done"] < 16,
           f"{what}: JSON progress ends early with a final line", final[-1:] if final else out)
        d, total = done_count(store, "slow")
        ok(last is not None and 2 <= d < total,
           f"{what}: store readable with {d} of {total} points", last)
        rc, _, err = run(np_, "slow.toml", "--store", store, "--quiet", "--group-size", group)
        ok(rc == 0, f"{what}: rerun exits 0", err)
        ok(err.strip() == "", f"{what}: --quiet rerun prints nothing on stderr", err)
        diffs = store_diff("ref.h5", store, "slow")
        ok(not diffs and done_count(store, "slow")[0] == 16,
           f"{what}: resumed store equals the uninterrupted one", "\n".join(diffs))
        with h5py.File(store, "r") as f:
            att = f["sweeps/slow/points"]["attempts"]
        ok(np.all(att == 1), f"{what}: no point was stored twice", att)

    # ---- 3b. the drain stops a big chunk after the running point ------------------
    # One worker (-np 2) gets a first chunk of 32 / 4 = 8 points; after SIGUSR1 it
    # may finish the point it is on, not the rest of its chunk.
    with open("chunk.toml", "w") as f:
        f.write('[sweep]\nname = "chunk"\nreplicates = 8\n[problem]\nwidth = 1000\n'
                '[solver]\nstep_rule = "local"\nmax_iter = 1500\ntol = 0\n'
                'coordinates = "full"\n'
                '[grid]\nsigma2 = [0.01, 0.1, 1.0, 2.0]\n')
    proc = start_json(2, "chunk.toml", "--drain-seconds", "30")
    last = wait_done(proc, 1)
    t_sig = time.monotonic()
    proc.send_signal(signal.SIGUSR1)
    out, err = proc.communicate(timeout=60)
    drain = time.monotonic() - t_sig
    d, total = done_count("chunk.h5", "chunk")
    ok(proc.returncode == 75 and last is not None and d <= last["done"] + 2 and d < 8,
       f"drain: {d} points done, {last and last['done']} at the signal: the rest of the "
       f"8-point chunk was dropped (drain took {drain:.1f} s)", err)
    rc, _, err = run(2, "chunk.toml", "--quiet")
    ok(rc == 0 and done_count("chunk.h5", "chunk")[0] == total,
       "drain: the dropped points run on resume", err)

    # ---- 3c. the drain deadline holds while workers are inside long points ---------
    # Points far longer than the test (tol = 0, a million steps): after SIGUSR1 with
    # --drain-seconds 1 the job must end within seconds, exit 75, the store intact.
    # (The coordinator once blocked in a send to a worker busy in its point, so the
    # deadline never came.)  Log-spaced records: with one record per step the set-up
    # reserves 10^8 records (22 GB, which MALLOC_PERTURB_ writes), outside the loops
    # that poll for the cancel.
    with open("long.toml", "w") as f:
        f.write('[sweep]\nname = "long"\nreplicates = 6\n[problem]\nwidth = 3000\n'
                'input_dim = 30\noutput_dim = 30\n'
                '[solver]\nstep_rule = "local"\nmax_iter = 100000000\ntol = 0\n'
                'record_every = 0\n')
    proc = start_json(3, "long.toml", "--drain-seconds", "1")
    wait_done(proc, 0, limit=20)  # the first progress line: the workers are solving
    time.sleep(1.0)
    t_sig = time.monotonic()
    proc.send_signal(signal.SIGUSR1)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        kill_job(proc)
        out, err = proc.communicate()
    took = time.monotonic() - t_sig
    ok(proc.returncode == 75 and took < 20 and "run the same command again to resume" in err,
       f"drain deadline: exit {proc.returncode} {took:.1f} s after the signal (≤ 1 s drain)",
       err[-300:])
    ok(done_count("long.h5", "long") == (0, 6), "drain deadline: the store opens, 0 of 6 done")

    # ---- 4. SIGKILL of the whole job, then resume ----------------------------------
    for np_ in (1, 3):
        what = "singleton" if np_ == 1 else "mpirun -np 3"
        store = f"kill_p{np_}.h5"
        proc = start_json(np_, "slow.toml", "--store", store)
        wait_done(proc, 10)
        time.sleep(0.3)
        kill_job(proc)  # mpirun, its process group, and ranks that left it
        ok(proc.returncode == -signal.SIGKILL, f"{what}: killed by SIGKILL", proc.returncode)
        lock = store + ".lock"
        held = open(lock).read() if os.path.exists(lock) else ""
        writer = str(proc.pid) if np_ == 1 else None
        ok(os.path.exists(lock) and (writer is None or writer in held),
           f"{what}: the dead writer's lock file is left behind", held)
        try:
            d, total = done_count(store, "slow")  # SWMR read of a killed writer's file
            readable = True
        except OSError as e:
            d, total, readable = -1, 16, e
        ok(readable is True and d < total,
           f"{what}: killed store readable (SWMR) with {d} of {total} points", readable)
        rc, _, err = run(np_, "slow.toml", "--store", store, "--quiet")
        ok(rc == 0, f"{what}: rerun after SIGKILL exits 0 (dead lock does not block)", err)
        diffs = store_diff("ref.h5", store, "slow")
        ok(not diffs and done_count(store, "slow")[0] == 16,
           f"{what}: store after kill and resume equals the uninterrupted one",
           "\n".join(diffs))
        with h5py.File(store, "r") as f:  # plain open: the SWMR flags were cleared
            ok(len(f["runs"]) == 2, f"{what}: plain h5py open works, two runs recorded")

    # ---- 5. progress modes ---------------------------------------------------------
    for np_ in (1, 3):
        rc, out, err = run(np_, "small.toml", "--store", f"json_p{np_}.h5",
                           "--json-progress", "--progress-seconds", "0.1")
        objs = []
        try:
            objs = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
            parsed = all(isinstance(o["done"], int) and o["total"] == 16 for o in objs)
        except (ValueError, KeyError) as e:
            parsed = e
        ok(rc == 0 and parsed is True and objs and objs[-1]["final"]
           and objs[-1]["done"] == 16,
           f"P = {np_}: --json-progress lines parse, done/total end at 16/16", out + err)
        rc, out, err = run(np_, "small.toml", "--store", f"quiet_p{np_}.h5", "--quiet")
        ok(rc == 0 and err == "" and out == "", f"P = {np_}: --quiet prints nothing",
           out + err)
    rc, out, err = run(1, "small.toml", "--store", "quiet_p1.h5", "--quiet",
                       "--group-size", "0")
    ok(rc == 2 and err.startswith("lrsweep") and out == "",
       "--quiet still reports an error (bad --group-size)", err)

    # ---- 6. faults -----------------------------------------------------------------
    with open("fault.toml", "w") as f:
        f.write('[sweep]\nname = "fault"\n[problem]\nwidth = 300\n'
                '[solver]\nmethod = "gf"\nhorizon = 1.0\ncoordinates = "full"\n'
                '[grid]\node_stepper = ["rk8pd", "msbdf"]\n'
                'max_point_seconds = [0, 1e-6]\n')
    rc, _, err = run(3, "fault.toml", "--quiet")
    ok(rc == 0, "a sweep with failing points exits 0", err)
    p, _ = points_of("fault.h5", "fault")
    st = status_names(p)
    step = h5py.check_enum_dtype(p.dtype["ode_stepper"])
    msbdf = p["ode_stepper"] == step["msbdf"]
    tiny = p["max_point_seconds"] > 0
    ok(np.all(st[msbdf] == "error") and
       all(b"msbdf" in m and b"Jacobian" in m for m in p["message"][msbdf]),
       "msbdf on 6000 parameters: status error with its message",
       list(zip(st, p["message"])))
    ok(np.all(st[~msbdf & tiny] == "timeout") and
       all(b"wall-clock limit" in m for m in p["message"][~msbdf & tiny]),
       "max_point_seconds = 1e-6: status timeout with its message",
       list(zip(st, p["message"])))
    ok(np.all(st[~msbdf & ~tiny] == "converged") and
       np.all(p["message"][~msbdf & ~tiny] == b""), "the healthy point converged",
       list(zip(st, p["message"])))
    rc, out, err = run(1, "fault.toml", "--retry-failed")
    ok(rc == 0 and "3 to run" in err, "--retry-failed reruns exactly the 3 failures", err)
    with h5py.File("fault.h5", "r") as f:
        att = f["sweeps/fault/points"]["attempts"]
    ok(sorted(att.tolist()) == [1, 2, 2, 2], "retried points count two attempts", att)

    shutil.rmtree(work, ignore_errors=True)
    return TAP.done()


if __name__ == "__main__":
    sys.exit(main())
