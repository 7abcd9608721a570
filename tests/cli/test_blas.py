#!/usr/bin/python3
"""Which BLAS computed a store (TAP): OpenBLAS picks its kernels from the CPU at load
time (or from OPENBLAS_CORETYPE), and other kernels round differently, so a point's
bits are reproducible only under the same ones.  `lrsweep --version` names them, every
run records those of its solving ranks in /runs' `blas` (each with its rank count when
they differ), and `rerun` under other kernels says why its bits differ; a store written
before the column still reads, and rerun says that it cannot tell.

usage: test_blas.py LRSWEEP MPIEXEC
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Lrsweep, Tap  # noqa: E402

lrs = Lrsweep(sys.argv[1], sys.argv[2])
tap = Tap()
check = tap.ok

SWEEP = """
[sweep]
name = "bl"
store = "bl.h5"
replicates = 2
[problem]
input_dim = 8
output_dim = 6
[solver]
step_rule = "local"
max_iter = 40
tol = 0.0
[grid]
width = [60, 200]
"""


def run(*args, core=None, np_=1, cwd):
    env = dict(lrs.env)
    env.pop("OPENBLAS_CORETYPE", None)
    if core:
        env["OPENBLAS_CORETYPE"] = core
    r = subprocess.run(lrs.cmd(np_, *args), env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=300)
    return r.returncode, r.stdout, r.stderr


def blas_line(core, cwd):
    code, out, _ = run("--version", core=core, cwd=cwd)
    lines = [l[len("BLAS "):] for l in out.splitlines() if l.startswith("BLAS ")]
    return lines[0] if code == 0 and len(lines) == 1 else None


def runs_blas(path):
    with h5py.File(path, "r") as f:
        runs = f["runs"][()]
        return [b.decode() for b in runs["blas"]] if "blas" in runs.dtype.names else None


with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "bl.toml"), "w") as fh:
        fh.write(SWEEP)
    here = blas_line(None, tmp)
    check(here is not None and here.startswith("OpenBLAS ") and len(here.split()) == 3,
          "--version names the BLAS: library, version, kernels", here)
    # Another kernel set this CPU runs: OPENBLAS_CORETYPE names one (Prescott is SSE3,
    # any x86-64; an unknown name leaves OpenBLAS's own choice, which --version shows).
    other_core = next((c for c in ("Prescott", "Sandybridge", "Haswell")
                       if blas_line(c, tmp) not in (None, here)), None)
    other = blas_line(other_core, tmp) if other_core else None
    check(other is not None and other.split()[:2] == here.split()[:2],
          "OPENBLAS_CORETYPE selects other kernels of the same library",
          f"default {here}, tried Prescott/Sandybridge/Haswell: {other}")

    code, out, err = run("bl.toml", "--quiet", np_=3, cwd=tmp)
    check(code == 0, "the sweep runs under mpirun -np 3", err)
    check(runs_blas(os.path.join(tmp, "bl.h5")) == [here],
          "/runs records the solving ranks' BLAS", runs_blas(os.path.join(tmp, "bl.h5")))

    code, out, _ = run("rerun", "bl.h5", "--point", "3", cwd=tmp)
    check(code == 0 and "identical" in out and "note" not in out,
          "rerun under the same kernels: identical, no note", out)
    differed = 0
    for k in range(4):
        code, out, _ = run("rerun", "bl.h5", "--point", str(k), core=other_core, cwd=tmp)
        if "DIFFERS" in out:
            differed += 1
            check(code == 1 and f"the store's runs used {here}; this process uses {other}" in out,
                  f"rerun of point {k} under {other_core}: DIFFERS and a note naming both", out)
        else:
            check(code == 0 and "identical" in out, f"rerun of point {k} under {other_core}", out)
    check(differed > 0, f"under {other_core} at least one of 4 points rounds differently "
          "(the check above then saw its note)", f"{differed} of 4 differ")

    # Ranks with different kernels (an MPMD launch stands for a mixed cluster): each
    # with its count.  Rank 0 only coordinates, so its kernels do not count.
    mixed = [lrs.mpiexec, "--oversubscribe", "-np", "2", "-x", f"OPENBLAS_CORETYPE={other_core}",
             lrs.exe, "bl.toml", "--quiet", "--store", "mixed.h5", ":", "-np", "1", lrs.exe,
             "bl.toml", "--quiet", "--store", "mixed.h5"]
    env = dict(lrs.env)
    env.pop("OPENBLAS_CORETYPE", None)
    r = subprocess.run(mixed, env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
    got = runs_blas(os.path.join(tmp, "mixed.h5")) if r.returncode == 0 else None
    check(got == [f"{other} (1 rank); {here} (1 rank)"],
          "ranks with different kernels: each named with its rank count", f"{got} {r.stderr}")

    # A store from before the column: /runs without `blas` (rewritten here as older
    # lrsweeps wrote it).  It reads, resumes (the new run's row drops the column it
    # lacks) and rerun says it cannot tell which BLAS was used.
    path = os.path.join(tmp, "bl.h5")
    with h5py.File(path, "r+") as f:
        old = f["runs"][()]
        names = [n for n in old.dtype.names if n != "blas"]
        kept = np.array([tuple(row[n] for n in names) for row in old],
                        dtype=[(n, old.dtype[n]) for n in names])
        del f["runs"]
        f.create_dataset("runs", data=kept, maxshape=(None,), chunks=(16,))
    code, out, err = run("bl.toml", "--quiet", cwd=tmp)
    with h5py.File(path, "r") as f:
        rows = f["runs"][()]
    check(code == 0 and "blas" not in rows.dtype.names and len(rows) == len(old) + 1,
          "a store without the column resumes; its /runs gains a row without it", err)
    code, out, _ = run("rerun", "bl.h5", "--point", "3", cwd=tmp)
    check(code == 0 and "identical" in out, "that store's points rerun identical", out)
    notes = [run("rerun", "bl.h5", "--point", str(k), core=other_core, cwd=tmp)[1]
             for k in range(4)]
    said = [o for o in notes if "DIFFERS" in o]
    check(said and all("does not say which BLAS its runs used" in o and other in o for o in said),
          "rerun under other kernels says the store cannot tell", "\n".join(notes))

sys.exit(tap.done())
