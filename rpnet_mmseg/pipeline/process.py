"""One pipeline per run folder, and no stage outliving its pipeline.

:class:`RunLock` holds an exclusive ``flock`` on ``RUN/.pipeline/lock``
for the pipeline's lifetime; the kernel releases it when the process ends,
however it ends, so a lock is never stale. :func:`run_stage` starts a
stage's command in a process group of its own with a small *guard*
process beside it: the guard waits for the pipeline to close a pipe, which
happens when the stage ends or when the pipeline dies (``kill -9``
included), and then stops whatever is left of the stage's group. The guard
also holds the lock until the stage's processes are gone, so a second
pipeline can never start on the folder while the first one's stage still
writes.
"""
import fcntl
import os
import os.path as osp
import signal
import subprocess
import sys
from typing import Dict, Optional, Sequence

__all__ = ['PipelineLockedError', 'RunLock', 'run_stage']

# The guard: wait for EOF on stdin (the pipeline ended or the stage
# finished), then SIGTERM the stage's process group, SIGKILL after a grace.
_GUARD = r'''
import os, signal, sys, time
pgid = int(sys.argv[1])
grace = float(sys.argv[2])
sys.stdin.buffer.read()
def alive():
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False
if alive():
    os.killpg(pgid, signal.SIGTERM)
    end = time.time() + grace
    while alive() and time.time() < end:
        time.sleep(0.1)
    if alive():
        os.killpg(pgid, signal.SIGKILL)
'''


class PipelineLockedError(RuntimeError):
    """Another pipeline runs on the same run folder."""


class RunLock:
    """An exclusive lock on a run folder, released when the process ends.

    Args:
        run_dir (str): The pipeline's run folder.
    """

    def __init__(self, run_dir: str) -> None:
        self.path = osp.join(run_dir, '.pipeline', 'lock')
        self.fd: Optional[int] = None

    def acquire(self) -> 'RunLock':
        """Take the lock or raise :class:`PipelineLockedError` naming the
        holder's pid."""
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with open(self.path) as f:
                holder = f.read().strip() or 'unknown'
            os.close(fd)
            raise PipelineLockedError(
                f'{osp.dirname(osp.dirname(self.path))} is in use by another '
                f'pipeline (pid {holder}, lock {self.path}); wait for it or '
                'stop it, or give this run another folder') from None
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()}\n'.encode())
        self.fd = fd
        return self

    def release(self) -> None:
        """Release the lock (also released when the process ends)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> 'RunLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def run_stage(argv: Sequence[str],
              cwd: str,
              env: Optional[Dict[str, str]] = None,
              lock: Optional[RunLock] = None,
              grace_s: float = 10.0) -> int:
    """Run a stage's command so that it never outlives the pipeline.

    Args:
        argv (Sequence[str]): The command.
        cwd (str): Its working directory.
        env (dict, optional): Its environment. Defaults to ours.
        lock (RunLock, optional): The run folder's lock, handed to the
            guard so that it is held until the stage's processes are gone.
        grace_s (float): Seconds between SIGTERM and SIGKILL when the stage
            must be stopped. Defaults to 10.

    Returns:
        int: The command's exit status.
    """
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env,
                            start_new_session=True)
    pass_fds = (lock.fd, ) if lock is not None and lock.fd is not None \
        else ()
    guard = subprocess.Popen(
        [sys.executable, '-c', _GUARD, str(proc.pid), str(grace_s)],
        stdin=subprocess.PIPE, pass_fds=pass_fds, start_new_session=True)
    try:
        return proc.wait()
    except BaseException:
        # Ctrl-C or an error here: stop the stage before leaving.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        raise
    finally:
        guard.stdin.close()
        guard.wait()
