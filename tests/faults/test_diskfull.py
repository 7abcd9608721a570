#!/usr/bin/python3
"""Disk full and file size limits on the store (TAP): issue 23.

usage: test_diskfull.py LRSWEEP MPIEXEC

Each fault is a small tmpfs (root only: mount -t tmpfs -o size=...) or a file size
limit (RLIMIT_FSIZE, SIGXFSZ ignored), hit
  - while the store is created (16 kB: the new file does not fit),
  - in a flush mid-run (the tmpfs holds the new store but not a third of the
    results),
  - by --extend (the copy of the store does not fit),
  - by merge (the output does not fit),
singleton and under mpirun -np 3 (for the main job).  Every run must end within 30 s
(a hang fails the test: the job is killed), exit 1 with exactly one line on stderr
(mpirun -q: Open MPI's own banners off), leave no process of the job behind and the
lock free; then, with room again, the store opens and the same command resumes it
to a store equal to an uninterrupted run's (tests/storecmp.py), or, for a failed
create, no file at all is left.
"""
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from storecmp import points_of, status_names, store_diff  # noqa: E402
from jobctl import Lrsweep, Tap, descendants, _alive  # noqa: E402

LRS = Lrsweep(sys.argv[1], sys.argv[2])
TAP = Tap()
ok = TAP.ok
LIMIT = 30.0  # seconds a failing run may take

SWEEP = ('[sweep]\nname = "faults"\nreplicates = 12\n'
         '[problem]\ninput_dim = 6\noutput_dim = 5\n'
         '[solver]\nstep_rule = "local"\nmax_iter = 3000\n'
         '[grid]\nwidth = [12, 40]\nsigma2 = [0.01, 1.0]\n')
SWEEP_WIDER = SWEEP.replace("width = [12, 40]", "width = [12, 40, 64]")


def run_job(np_, *args, fsize=None):
    """(exit code, stderr, seconds, pids left) of a run; a run past LIMIT is killed
    and reported as exit None."""
    cmd = LRS.cmd(np_, *args)
    if np_ > 1:
        cmd.insert(1, "-q")

    def limits():
        os.setsid()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if fsize is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))

    start = time.monotonic()
    p = subprocess.Popen(cmd, env=LRS.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=limits)
    try:
        _, err = p.communicate(timeout=LIMIT)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        for v in [p.pid] + descendants(p.pid):
            try:
                os.kill(v, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, err = p.communicate()
        rc = None
    seconds = time.monotonic() - start
    time.sleep(0.2)
    left = [pid for pid in _job_pids(args) if _alive(pid)]
    return rc, err, seconds, left


def _job_pids(args):
    """Processes whose command line holds every argument of the job (its ranks)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if all(a.encode() in words for a in args) and any(LRS.exe.encode() == w for w in words):
            out.append(int(d))
    return out


def lock_free(store):
    path = store + ".lock"
    if not os.path.exists(path):
        return True
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False


def lines(err):
    return [line for line in err.splitlines() if line.strip()]


def check_failure(name, got, expect_in=None):
    rc, err, seconds, left = got
    ok(rc is not None, f"{name}: ends within {LIMIT:.0f} s", f"killed after {seconds:.1f} s")
    ok(rc == 1, f"{name}: exit 1", f"exit {rc}\n{err}")
    ls = lines(err)
    ok(len(ls) == 1 and ls[0].startswith("lrsweep: ")
       and (expect_in is None or expect_in in ls[0]),
       f"{name}: one line saying why", err)
    ok(not left, f"{name}: every rank gone", f"pids {left}")


class Tmpfs:
    def __init__(self, path, size):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)
        self.path = path

    def resize(self, size):
        subprocess.run(["mount", "-o", f"remount,size={size}", self.path], check=True)

    def clear(self):
        for n in os.listdir(self.path):
            os.unlink(os.path.join(self.path, n))

    def close(self):
        subprocess.run(["umount", "-l", self.path], check=False)


def done_count(store):
    p, _ = points_of(store, "faults")
    return int((status_names(p) != "pending").sum()), len(p)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP mounting a tmpfs needs root")
        return 0
    work = tempfile.mkdtemp(prefix="lrs_faults_")
    os.chdir(work)
    with open("faults.toml", "w") as f:
        f.write(SWEEP)
    with open("wider.toml", "w") as f:
        f.write(SWEEP_WIDER)
    rc, _, err = LRS.run(1, "faults.toml", "--store", "ref.h5", "--quiet")
    ok(rc == 0, "the uninterrupted reference run", err)
    rc, _, err = LRS.run(1, "wider.toml", "--store", "ref_wide.h5", "--quiet")
    ok(rc == 0, "the uninterrupted reference of the wider sweep", err)
    full = os.path.getsize("ref.h5")
    fs = Tmpfs(os.path.join(work, "disk"), "16k")
    try:
        for np_ in (1, 3):
            tag = "singleton" if np_ == 1 else f"mpirun -np {np_}"
            # ---- at store creation: nothing left ---------------------------------
            fs.clear()
            fs.resize("16k")
            store = os.path.join(fs.path, f"create{np_}.h5")
            check_failure(f"{tag}, create on a 16 kB disk",
                          run_job(np_, "faults.toml", "--store", store, "--quiet"),
                          "No space left on device")
            ok(os.listdir(fs.path) in ([], [os.path.basename(store) + ".lock"]),
               f"{tag}, create: no store, no STORE.tmp", os.listdir(fs.path))
            ok(lock_free(store), f"{tag}, create: lock released")
            fs.resize("100m")
            rc, err, _, _ = run_job(np_, "faults.toml", "--store", store, "--quiet")
            ok(rc == 0 and not store_diff(store, "ref.h5", "faults"),
               f"{tag}, create: with room, a run gives the reference store", err)

            # ---- a flush mid-run: the store keeps its last flush -----------------
            fs.clear()
            fs.resize(str(full // 3))
            store = os.path.join(fs.path, f"mid{np_}.h5")
            check_failure(f"{tag}, flush on a full disk",
                          run_job(np_, "faults.toml", "--store", store, "--quiet"),
                          "cannot write the store: No space left on device")
            ok(lock_free(store), f"{tag}, flush: lock released")
            rc, out, err = LRS.run(1, "status", store)
            ok(rc == 0, f"{tag}, flush: the store opens (status)", err)
            d, total = done_count(store)
            ok(d < total, f"{tag}, flush: the failure came before the end", f"{d}/{total}")
            fs.resize("100m")
            rc, err, _, _ = run_job(np_, "faults.toml", "--store", store, "--quiet")
            diff = store_diff(store, "ref.h5", "faults")
            ok(rc == 0 and not diff, f"{tag}, flush: resumed to the reference store",
               f"exit {rc} {err}\n" + "\n".join(diff[:10]))

            # ---- --extend: the copy does not fit; the store stays ----------------
            fs.clear()
            fs.resize("100m")
            store = os.path.join(fs.path, f"ext{np_}.h5")
            shutil.copy("ref.h5", store)
            used = os.path.getsize(store)
            fs.resize(str(used + used // 2))
            check_failure(f"{tag}, --extend on a full disk",
                          run_job(np_, "wider.toml", "--store", store, "--quiet", "--extend"))
            ok(not os.path.exists(store + ".tmp"), f"{tag}, extend: no STORE.tmp left")
            ok(not store_diff(store, "ref.h5", "faults"), f"{tag}, extend: store unchanged")
            ok(lock_free(store), f"{tag}, extend: lock released")
            fs.resize("200m")
            rc, err, _, _ = run_job(np_, "wider.toml", "--store", store, "--quiet", "--extend")
            diff = store_diff(store, "ref_wide.h5", "faults")
            ok(rc == 0 and not diff, f"{tag}, extend: with room, the extended reference store",
               f"exit {rc} {err}\n" + "\n".join(diff[:10]))

        # ---- a file size limit (RLIMIT_FSIZE), singleton and mpirun -------------
        for np_ in (1, 3):
            tag = "singleton" if np_ == 1 else f"mpirun -np {np_}"
            store = f"fsize{np_}.h5"
            check_failure(f"{tag}, flush past a file size limit",
                          run_job(np_, "faults.toml", "--store", store, "--quiet",
                                  fsize=full // 3),
                          "File too large")
            ok(lock_free(store), f"{tag}, file size limit: lock released")
            rc, err, _, _ = run_job(np_, "faults.toml", "--store", store, "--quiet")
            diff = store_diff(store, "ref.h5", "faults")
            ok(rc == 0 and not diff, f"{tag}, file size limit: resumed to the reference store",
               f"exit {rc} {err}\n" + "\n".join(diff[:10]))

        # ---- merge into a full disk --------------------------------------------
        fs.clear()
        fs.resize(str(full // 3))
        out = os.path.join(fs.path, "merged.h5")
        check_failure("merge on a full disk", run_job(1, "merge", out, "ref.h5"))
        ok(lock_free(out), "merge: lock released")
        fs.resize("100m")
        rc, err, _, _ = run_job(1, "merge", out, "ref.h5")
        diff = store_diff(out, "ref.h5", "faults") if rc == 0 else ["no store"]
        ok(rc == 0 and not diff, "merge: with room, the merged store equals its input",
           f"exit {rc} {err}\n" + "\n".join(diff[:10]))
    finally:
        fs.close()
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    return TAP.done()


if __name__ == "__main__":
    sys.exit(main())
