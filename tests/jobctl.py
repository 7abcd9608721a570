"""Job control for tests of the main job: lrsweep under mpiexec with the tests'
environment, TAP output, and the processes of an mpirun job."""
import json
import os
import selectors
import signal
import subprocess
import time


class Tap:
    """TAP lines (ok / not ok N - name, failures with up to 40 lines of diagnosis)
    and the plan at the end: the count is the checks run."""

    def __init__(self):
        self.count = self.failed = 0

    def ok(self, cond, name, diag=""):
        self.count += 1
        self.failed += not cond
        print(f"{'ok' if cond else 'not ok'} {self.count} - {name}", flush=True)
        if not cond and diag:
            for line in str(diag).splitlines()[:40]:
                print(f"# {line}", flush=True)
        return cond

    def done(self):
        """Prints the plan; the exit code."""
        print(f"1..{self.count}", flush=True)
        return 1 if self.failed else 0


class Lrsweep:
    """lrsweep with one BLAS thread, as root under Open MPI, without leak checks of
    Open MPI's allocations under the sanitizers; np > 1 runs it under mpiexec."""

    def __init__(self, lrsweep, mpiexec):
        self.exe, self.mpiexec = os.path.abspath(lrsweep), mpiexec
        self.env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", ASAN_OPTIONS="detect_leaks=0")

    def cmd(self, np_, *args):
        base = [self.exe, *args]
        return base if np_ == 1 else [self.mpiexec, "--oversubscribe", "-np", str(np_), *base]

    def run(self, np_, *args, timeout=300):
        """(exit code, stdout, stderr) of a finished run."""
        r = subprocess.run(self.cmd(np_, *args), env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def start(self, np_, *args):
        """A running job with JSON progress lines every 0.1 s, in its own session
        (kill_job signals the whole group)."""
        return subprocess.Popen(self.cmd(np_, *args, "--json-progress", "--progress-seconds",
                                         "0.1"),
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)


def descendants(pid):
    """pids of every process below pid (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out



def kill_job(proc, timeout=30.0):
    """SIGKILL an mpirun (or singleton) job started in its own session: its process
    group, and every descendant (ranks that left the group too); then waits until
    they are all gone, so that nothing of the job holds files or locks any more."""
    victims = [proc.pid] + descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for v in victims:
        try:
            os.kill(v, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.communicate(timeout=timeout)
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(_alive(v) for v in victims):
        time.sleep(0.05)


def _alive(pid):
    """Running (a zombie has released its files and locks)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_done(proc, at_least, limit=60.0):
    """Reads JSON progress lines until done >= at_least; returns the last line."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    end = time.monotonic() + limit
    last = None
    while time.monotonic() < end:
        if not sel.select(timeout=0.5):
            continue
        line = proc.stdout.readline()
        if not line:
            break
        last = json.loads(line)
        if last["done"] >= at_least and not last["final"]:
            return last
    return last
