"""One pipeline per run folder, and no stage outliving its pipeline.

:class:`RunLock` holds an exclusive ``flock`` on ``RUN/.pipeline/lock``
for the pipeline's lifetime; the kernel releases it when the process ends,
however it ends, so a lock is never stale. :func:`run_stage` starts a
stage's command through a small *guard* process, which starts the stage
in a process group of its own and stops whatever is left of that group
when the stage ends or when the pipeline closes a pipe to it, which also
happens when the pipeline dies (``kill -9`` included). The guard
also holds the lock until the stage's processes are gone, so a second
pipeline can never start on the folder while the first one's stage still
writes; a pipeline started right after a ``kill -9`` waits for that guard
(:class:`RunLock`) instead of refusing.
"""
import fcntl
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, Optional, Sequence

from ..fileio.atomic import open_nofollow, pid_alive

__all__ = ['PipelineLockedError', 'RunLock', 'run_stage']

# The guard starts the stage in a process group of its own, so there is no
# moment when the stage runs unguarded. When the pipeline closes the pipe
# (it ended, or died), or when the stage leader exits, whatever is left of
# the group gets SIGTERM, then SIGKILL after a grace. The guard exits as
# the stage did (the same status or signal).
_GUARD = r'''
import json, os, select, signal, subprocess, sys, time
argv, cwd, grace = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                        start_new_session=True)
def signal_group(sig):
    try:
        os.killpg(proc.pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
def stop():
    if signal_group(signal.SIGTERM):
        end = time.time() + grace
        while time.time() < end:
            proc.poll()  # reap the leader: a zombie still counts in a group
            if not signal_group(0):
                return
            time.sleep(0.1)
        signal_group(signal.SIGKILL)
while proc.poll() is None:
    if select.select([0], [], [], 0.2)[0] and not os.read(0, 4096):
        stop()  # the pipeline ended or died
        proc.wait()
stop()  # what the stage left behind
if proc.returncode < 0:  # end as the stage did (one thread: at once)
    if -proc.returncode != signal.SIGKILL:
        signal.signal(-proc.returncode, signal.SIG_DFL)
    os.kill(os.getpid(), -proc.returncode)
os._exit(proc.returncode & 255)
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
    pass_fds = (lock.fd, ) if lock is not None and lock.fd is not None \
        else ()
    guard = subprocess.Popen(
        [sys.executable, '-c', _GUARD,
         json.dumps(list(argv)), cwd, str(grace_s)],
        env=env, stdin=subprocess.PIPE, pass_fds=pass_fds,
        start_new_session=True)
    try:
        return guard.wait()
    finally:
        # Ends the stage too when we leave early (Ctrl-C, an error here).
        guard.stdin.close()
        guard.wait()
