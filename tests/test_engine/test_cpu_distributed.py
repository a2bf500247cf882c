"""finish_distributed: the ranks of a gloo job leave together and cleanly."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Rank 0 is still busy for a second after the last collective, as when it
# writes the metrics JSON of tools/test.py; rank 1 is done at once. Each rank
# records when it left finish_distributed.
SCRIPT = '''
import sys, time
sys.path.insert(0, {repo!r})
import torch
import torch.distributed as dist
from rpnet_mmseg.engine import finish_distributed

dist.init_process_group('gloo')
x = torch.ones(4)
dist.all_reduce(x)
rank = dist.get_rank()
if rank == 0:
    time.sleep(1.0)
    busy_until = time.time()
    open({out!r} + '.busy', 'w').write(repr(busy_until))
finish_distributed()
assert not dist.is_initialized()
open({out!r} + f'.left{{rank}}', 'w').write(repr(time.time()))
finish_distributed()  # a second call (or a non-distributed run) is a no-op
'''


def _run_two_ranks(template, out, tmp_path, free_port):
    """Run ``template`` as a 2-process gloo job; its output (exit 0)."""
    script = tmp_path / 'job.py'
    script.write_text(template.format(repo=REPO, out=out))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    res = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}', str(script)
    ], env=env, capture_output=True, text=True, timeout=300)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-3000:]
    return log


def test_ranks_leave_after_the_slowest_and_exit_zero(tmp_path, free_port):
    out = str(tmp_path / 'rank')
    log = _run_two_ranks(SCRIPT, out, tmp_path, free_port)
    assert 'terminate called' not in log
    busy_until = float(open(out + '.busy').read())
    # Rank 1 waited for rank 0 instead of exiting with a live gloo group.
    assert float(open(out + '.left1').read()) >= busy_until
    assert float(open(out + '.left0').read()) >= busy_until


def test_outside_a_distributed_run_it_does_nothing():
    import torch.distributed as dist

    from rpnet_mmseg.engine import finish_distributed
    assert not dist.is_initialized()
    finish_distributed()
    assert not dist.is_initialized()


EXITING = '''
import logging, sys
sys.path.insert(0, {repo!r})
import torch.distributed as dist
from mmengine.logging import MMLogger
from rpnet_mmseg.engine import finish_distributed

dist.init_process_group('gloo')
logger = MMLogger.get_instance('job', log_file={out!r} + '.log')
logger.info('the work is done')
print('printed before the end', flush=False)
finish_distributed(exit_process=True)
open({out!r} + '.not_reached', 'w').write('x')
'''


def test_a_distributed_tool_ends_at_finish_with_its_logs(tmp_path,
                                                         free_port):
    out = str(tmp_path / 'rank')
    log = _run_two_ranks(EXITING, out, tmp_path, free_port)
    assert log.count('printed before the end') == 2  # stdout flushed
    # rank 0's log file flushed (mmengine writes it on rank 0)
    assert 'the work is done' in open(out + '.log').read()
    assert not osp.exists(out + '.not_reached')
