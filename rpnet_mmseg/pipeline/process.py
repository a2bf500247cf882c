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
writes; a pipeline started right after a ``kill -9`` waits for that guard
(:class:`RunLock`) instead of refusing.
"""
import fcntl
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from typing import Dict, Optional, Sequence

from ..fileio.atomic import open_nofollow, pid_alive

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

    The lock file holds the pid of the pipeline that took it. While the
    pipeline lives, another one on the folder is refused, naming that pid.
    When the pipeline has died (``kill -9``), its stage's guard may still
    hold the lock while it stops the stage (at most the stage's grace
    period): a new pipeline then says so and waits for the lock instead of
    refusing.

    Args:
        run_dir (str): The pipeline's run folder.
        wait_s (float): How long to wait for the guard of a dead pipeline.
            Defaults to 120.
    """

    def __init__(self, run_dir: str, wait_s: float = 120.0) -> None:
        self.path = osp.join(run_dir, '.pipeline', 'lock')
        self.wait_s = wait_s
        self.fd: Optional[int] = None

    def _holder(self, fd: int) -> Optional[int]:
        """The pid written in the lock file, if it holds one."""
        text = os.pread(fd, 64, 0).decode('ascii', 'replace').strip()
        return int(text) if text.isdigit() else None

    def _refuse(self, holder: Optional[int]) -> PipelineLockedError:
        return PipelineLockedError(
            f'{osp.dirname(osp.dirname(self.path))} is in use by another '
            f'pipeline (pid {holder or "unknown"}, lock {self.path}); wait '
            'for it or stop it, or give this run another folder')

    def acquire(self) -> 'RunLock':
        """Take the lock; wait while a dead pipeline's stage is stopped.

        Raises:
            PipelineLockedError: If a live pipeline holds the lock (names
                its pid), or a dead one's stage outlasts ``wait_s``.
        """
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        # Never through a link; not truncated before the lock is held.
        fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT)
        waiting_for = None
        end = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder(fd)
                if holder is None or pid_alive(holder) \
                        or time.monotonic() > end:
                    os.close(fd)
                    raise self._refuse(holder) from None
                if waiting_for != holder:
                    waiting_for = holder
                    print(f'pid {holder} ended; waiting for its stage to '
                          f'stop (lock {self.path})', file=sys.stderr,
                          flush=True)
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f'{os.getpid()}\n'.encode(), 0)
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
