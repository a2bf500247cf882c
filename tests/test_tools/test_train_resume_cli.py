"""tools/train.py --resume: from the latest checkpoint of the same run only."""
import os
import os.path as osp
import subprocess
import sys


def _train(args, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    res = subprocess.run([sys.executable, 'tools/train.py'] + args, cwd=cwd,
                         env=env, capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr


def test_resume_refuses_a_truncated_checkpoint_and_changes(
        tiny_job):
    cfg = tiny_job.write_config('rp.py', epochs=2)
    work = str(tiny_job.tmp / 'work')
    rc, out = _train([cfg, '--work-dir', work], tiny_job.repo)
    assert rc == 0, out[-3000:]
    # Atomic saves: no temporary file left, the pointer names epoch 2.
    assert not [n for n in os.listdir(work) if '.tmp.' in n]
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('epoch_2.pth')
    # A kill during a save by another tool: epoch 2 cut in half.
    final = osp.join(work, 'epoch_2.pth')
    size = osp.getsize(final)
    with open(final, 'r+b') as f:
        f.truncate(size // 2)
    # Another input (here the training images' crop) is refused by name.
    rc, out = _train([cfg, '--work-dir', work, '--resume', '--cfg-options',
                      'train_pipeline.1.crop_size=[24,24]',
                      'train_dataloader.dataset.pipeline.1.crop_size=[24,24]'],
                     tiny_job.repo)
    assert rc != 0
    assert 'trained under another config or other inputs' in out
    assert 'train_dataloader.dataset.pipeline.1.crop_size.0' in out
    # The same config: the damaged checkpoint is refused by name, and
    # nothing is lost.
    rc, out = _train([cfg, '--work-dir', work, '--resume'], tiny_job.repo)
    assert rc != 0
    assert f'{final}: cannot read the checkpoint' in out
    assert 'truncated' in out and osp.getsize(final) == size // 2
    # Deleted as the message says, the run resumes from the one before.
    os.remove(final)
    rc, out = _train([cfg, '--work-dir', work, '--resume'], tiny_job.repo)
    assert rc == 0, out[-3000:]
    assert 'resumed epoch: 1' in out
    assert 'Epoch(train) [2]' in out and 'Epoch(train) [1]' not in out
    assert osp.getsize(final) > size // 2


def test_a_run_begun_on_two_processes_resumes_on_one(tiny_job, free_port):
    """On the CPU the launch turns SyncBN into BN and picks gloo: launch
    settings, not the run's, so another process count resumes."""
    cfg = tiny_job.write_config('rp.py', epochs=2)
    work = str(tiny_job.tmp / 'work')
    env = dict(os.environ, PYTHONUNBUFFERED='1', PORT=str(free_port()),
               PYTHON=sys.executable, OMP_NUM_THREADS='1')
    res = subprocess.run(['bash', 'tools/dist_train.sh', cfg, '2',
                          '--work-dir', work], cwd=tiny_job.repo, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    os.remove(osp.join(work, 'epoch_2.pth'))  # killed in the last epoch
    rc, out = _train([cfg, '--work-dir', work, '--resume'], tiny_job.repo)
    assert rc == 0, out[-3000:]
    assert 'resumed epoch: 1' in out
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
