#!/usr/bin/python3
"""Refinement through the main job (TAP).

usage: test_refine_cli.py LRSWEEP MPIEXEC SWEEP_DIR

1. A sweep with [refine] bisection and rate_ci run by P = 1 (singleton), 2 and 3
   ranks gives the same store (tests/storecmp.py: bit-identical rows and
   trajectories, refinement rows included, in the same order).
2. SIGKILL of the whole job in the middle of refinement, then the same command:
   the store ends equal to the uninterrupted run's; SIGUSR1 to mpirun likewise (exit 75).
3. `lrsweep query --boundary` reads the boundaries back (JSON), one flip per cell,
   brackets within rtol; and the CLI errors for [refine] misuse are one line.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from storecmp import points_of, store_diff  # noqa: E402
from jobctl import Lrsweep, Tap, kill_job, wait_done  # noqa: E402

LRS = Lrsweep(sys.argv[1], sys.argv[2])
run, start = LRS.run, LRS.start
TAP = Tap()
ok = TAP.ok

SWEEP = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "refined.toml")).read()


def main():
    tmp = tempfile.mkdtemp(prefix="lrs-refine-cli-")
    os.chdir(tmp)
    with open("refined.toml", "w") as f:
        f.write(SWEEP)

    # 1. P = 1, 2, 3.
    stores = {}
    for np_ in (1, 2, 3):
        store = f"p{np_}.h5"
        rc, out, err = run(np_, "refined.toml", "--store", store)
        ok(rc == 0 and "refinement:" in err, f"P = {np_}: exit 0 with a refinement report",
           err)
        stores[np_] = store
    pts, _ = points_of(stores[1], "refined")
    n_grid = 7 * 2 * 2
    origins = h5_origins(stores[1])
    ok(len(pts) > n_grid and set(origins[n_grid:]) <= {"bisect", "seed"}
       and "bisect" in origins and set(origins[:n_grid]) == {"grid"},
       f"{len(pts)} rows: {n_grid} grid rows, then bisect and seed rows",
       repr(sorted(set(origins))))
    for np_ in (2, 3):
        d = store_diff(stores[1], stores[np_], "refined")
        ok(not d, f"P = {np_} store equals P = 1 (refinement rows included)", "\n".join(d[:20]))

    # 2. SIGKILL mid-refinement, then resume.
    proc = start(3, "refined.toml", "--store", "killed.h5")
    last = wait_done(proc, n_grid + 6)
    kill_job(proc)
    ok(last is not None and last["done"] >= n_grid + 6,
       f"killed by SIGKILL after {last and last['done']} points (past the grid)")
    rc, _, err = run(3, "refined.toml", "--store", "killed.h5")
    d = store_diff(stores[1], "killed.h5", "refined")
    ok(rc == 0 and not d, "the rerun after SIGKILL ends equal to the uninterrupted run",
       err + "\n".join(d[:20]))

    proc = start(3, "refined.toml", "--store", "usr1.h5")
    last = wait_done(proc, n_grid + 10)
    proc.send_signal(signal.SIGUSR1)
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        kill_job(proc)
    ok(proc.returncode == 75, f"SIGUSR1 mid-refinement: exit 75 (got {proc.returncode})")
    rc, _, err = run(2, "refined.toml", "--store", "usr1.h5")
    d = store_diff(stores[1], "usr1.h5", "refined")
    ok(rc == 0 and not d, "resumed on 2 ranks: equal to the uninterrupted run",
       err + "\n".join(d[:20]))

    # 3. query --boundary.
    rc, out, err = run(1, "query", stores[1], "--boundary", "step_size", "--format", "json")
    cells = [json.loads(line) for line in out.splitlines() if line.strip()]
    ok(rc == 0 and len(cells) >= 4, f"query --boundary: {len(cells)} cells", err)
    grid_cells = [c for c in cells if c["seed"] < 2]
    ok(len(grid_cells) == 4 and all(c["flips"] == 1 and c["below"] == "true"
                                    and c["hi"] / c["lo"] - 1 <= 1e-3 for c in grid_cells),
       "each (init_scale, seed) cell: one flip, converged below, bracket within rtol",
       json.dumps(grid_cells, indent=1))
    rc, out, err = run(1, "query", stores[1], "--boundary", "width")
    ok(rc == 2 and len(err.strip().splitlines()) == 1 and "not an axis" in err,
       "query --boundary on a non-axis: exit 2, one line", err)
    rc, out, err = run(1, "query", stores[1], "--boundary", "step_size",
                       "--predicate", "final_loss <")
    ok(rc == 2 and len(err.strip().splitlines()) == 1, "a bad --predicate: exit 2, one line",
       err)
    with open("bad.toml", "w") as f:
        f.write(SWEEP.replace("predicate = 'status == \"converged\"'",
                              "predicate = 'stauts == \"converged\"'"))
    rc, _, err = run(1, "bad.toml", "--store", "bad.h5")
    ok(rc == 2 and "bad.toml:" in err and "predicate" in err
       and len(err.strip().splitlines()) == 1,
       "a misspelled column in the [refine] predicate: exit 2, file:line, one line", err)
    rc, _, err = run(1, "refined.toml", "--store", "shard.h5", "--shard", "0/2")
    ok(rc == 2 and "--shard" in err, "[refine] with --shard is refused", err)

    shutil.rmtree(tmp, ignore_errors=True)
    return TAP.done()


def h5_origins(path):
    import h5py
    with h5py.File(path, "r", swmr=True) as f:
        pts = f["sweeps/refined/points"]
        enum = h5py.check_enum_dtype(pts.dtype["origin"])
        inv = {v: k for k, v in enum.items()}
        return [inv[int(o)] for o in pts["origin"][...]]


if __name__ == "__main__":
    sys.exit(main())
