"""Job control for tests of the main job: the processes of an mpirun job."""
import json
import os
import selectors
import signal
import time


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
