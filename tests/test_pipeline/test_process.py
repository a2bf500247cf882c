"""One pipeline per run folder; killing a pipeline kills its stages."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from rpnet_mmseg.fileio.atomic import pid_alive
from rpnet_mmseg.pipeline import PipelineLockedError, RunLock, run_stage

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _wait_for(predicate, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_second_lock_names_the_holder(tmp_path):
    with RunLock(str(tmp_path)):
        with pytest.raises(PipelineLockedError,
                           match=rf'in use by another pipeline \(pid '
                           rf'{os.getpid()}'):
            RunLock(str(tmp_path)).acquire()
    RunLock(str(tmp_path)).acquire().release()  # free again


def test_run_stage_returns_the_exit_status(tmp_path):
    assert run_stage([sys.executable, '-c', 'import sys; sys.exit(3)'],
                     cwd=str(tmp_path)) == 3
    for sig in (signal.SIGTERM, signal.SIGKILL):  # ends as the stage did
        killed = f'import os; os.kill(os.getpid(), {int(sig)})'
        assert run_stage([sys.executable, '-c', killed],
                         cwd=str(tmp_path)) == -sig


def test_stage_is_started_by_its_guard(tmp_path):
    # Never a moment with the stage running and no guard: the guard is
    # the stage's parent, and the stage leads a process group of its own.
    out = tmp_path / 'ids'
    code = ('import os, sys; open(sys.argv[1], "w").write('
            '"%d %d %d" % (os.getpid(), os.getppid(), os.getpgid(0)))')
    assert run_stage([sys.executable, '-c', code, str(out)],
                     cwd=str(tmp_path)) == 0
    pid, parent, group = map(int, out.read_text().split())
    assert parent != os.getpid() and group == pid


def _pipeline_file(tmp_path):
    tool = tmp_path / 'tool.py'
    tool.write_text(
        'import os, sys, time\n'
        'open(sys.argv[1], "w").write(str(os.getpid()))\n'
        # a grandchild too: the whole group must go
        'if os.fork() == 0:\n'
        '    open(sys.argv[1] + ".child", "w").write(str(os.getpid()))\n'
        'time.sleep(120)\n')
    cfg = tmp_path / 'pipeline.py'
    cfg.write_text(
        f'work_dir = {str(tmp_path / "run")!r}\n'
        f'stages = dict(sleep=dict(kind="script", script={str(tool)!r}, '
        f'args=[{str(tmp_path / "pid")!r}], output="{{root}}/never"))\n')
    return str(cfg)


def test_killed_pipeline_leaves_no_process_and_frees_the_folder(tmp_path):
    cfg = _pipeline_file(tmp_path)
    cmd = [sys.executable, 'tools/run_pipeline.py', cfg]
    pipeline = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    pid_file = tmp_path / 'pid'
    assert _wait_for(lambda: osp.isfile(str(pid_file) + '.child')
                     and pid_file.read_text()), 'the stage never started'
    stage_pid = int(pid_file.read_text())
    child_pid = int(open(str(pid_file) + '.child').read())
    # A second pipeline on the same folder is refused, naming the first.
    second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode != 0
    assert f'pid {pipeline.pid}' in second.stderr
    assert pid_alive(stage_pid) and pid_alive(child_pid)
    pipeline.send_signal(signal.SIGKILL)
    pipeline.wait()
    assert _wait_for(lambda: not pid_alive(stage_pid)
                     and not pid_alive(child_pid))
    # The lock goes with the pipeline's guard, once the stage is gone.

    def free():
        try:
            RunLock(str(tmp_path / 'run')).acquire().release()
            return True
        except PipelineLockedError:
            return False

    assert _wait_for(free)


def _dead_pipeline_with_guard(run_dir, guard_s):
    """A 'pipeline' that takes the lock, hands it to a 'guard' that holds
    it ``guard_s`` more seconds, and dies at once; returns its pid."""
    code = (
        'import os, sys, time\n'
        'from rpnet_mmseg.pipeline import RunLock\n'
        f'lock = RunLock({run_dir!r}).acquire()\n'
        'if os.fork() == 0:\n'
        f'    time.sleep({guard_s})\n'
        '    os._exit(0)\n'
        'os._exit(0)\n')
    proc = subprocess.Popen([sys.executable, '-c', code], cwd=REPO)
    assert proc.wait(timeout=120) == 0
    return proc.pid


def test_lock_of_a_dead_pipeline_is_waited_for(tmp_path, capfd):
    dead = _dead_pipeline_with_guard(str(tmp_path), guard_s=3)
    start = time.monotonic()
    RunLock(str(tmp_path)).acquire().release()
    waited = time.monotonic() - start
    assert waited > 0.5  # the guard still held it
    assert f'pid {dead} ended; waiting for its stage to stop' in \
        capfd.readouterr().err


def test_lock_of_a_dead_pipeline_is_refused_past_the_wait(tmp_path):
    dead = _dead_pipeline_with_guard(str(tmp_path), guard_s=30)
    with pytest.raises(PipelineLockedError, match=rf'pid {dead}'):
        RunLock(str(tmp_path), wait_s=1.0).acquire()


def test_lock_file_planted_as_a_link_is_not_written_through(tmp_path):
    target = tmp_path / 'precious.txt'
    target.write_text('keep me\n')
    run = tmp_path / 'run'
    (run / '.pipeline').mkdir(parents=True)
    os.symlink(target, run / '.pipeline' / 'lock')
    with pytest.raises(OSError, match='lock'):
        RunLock(str(run)).acquire()
    assert target.read_text() == 'keep me\n'
