"""End-to-end: real training iterations, resume, CAM test loop, 2 processes.

Each test trains a tiny ResNet-18 (8 base channels) on a generated dataset
whose labels are learnable (one coloured square per class), through
``tools/train.py`` / ``tools/test.py`` and mmengine's Runner, on CPU.
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from rpnet_mmseg.engine import load_checkpoint_file


class LossRecorder(Hook):
    """Keep every iteration's classification loss."""

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss_cls'].item())


def _cam_files(folder):
    """The CAM files of a folder (not its .rpnet_stage.json record)."""
    return sorted(n for n in os.listdir(folder) if n.endswith('.npz')
                  and not n.startswith('.'))


def _runner(cfg_path, work_dir, **overrides):
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(overrides)
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('head', ['RPNetHead', 'CAMHead'])
def test_real_iterations_loss_falls(tiny_job, head):
    cfg = tiny_job.write_config(f'{head}.py', head=head, epochs=6)
    runner = _runner(cfg, tiny_job.tmp / f'work_{head}',
                     **{'default_hooks.checkpoint.interval': 100})
    recorder = LossRecorder()
    runner.register_hook(recorder)
    runner.train()
    losses = recorder.losses
    assert len(losses) == 6 * 6  # 24 images, 4 samples per batch
    first, last = np.mean(losses[:6]), np.mean(losses[-6:])
    assert last < 0.8 * first, (first, last)


def _train_cli(args, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    return subprocess.run([sys.executable, 'tools/train.py'] + args,
                          cwd=cwd, env=env, capture_output=True, text=True)


def test_resume_and_load_from(tiny_job):
    cfg = tiny_job.write_config('rp.py', epochs=1)
    work = str(tiny_job.tmp / 'work_resume')
    first = _train_cli([cfg, '--work-dir', work], tiny_job.repo)
    assert first.returncode == 0, first.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    # --resume continues from epoch 1 to epoch 2 (weights_only loading of
    # the message hub must work on torch >= 2.6); a longer schedule is a
    # changed config, so it takes --resume-changed.
    second = _train_cli([
        cfg, '--work-dir', work, '--resume', '--resume-changed',
        '--cfg-options',
        'train_cfg.max_epochs=2', 'param_scheduler.0.end=2'
    ], tiny_job.repo)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-3000:]
    assert 'resumed epoch: 1' in out
    assert 'Epoch(train) [2]' in out and 'Epoch(train) [1]' not in out
    ckpt = load_checkpoint_file(osp.join(work, 'epoch_2.pth'))
    assert ckpt['meta']['epoch'] == 2
    # load_from with the test loop: CAMs for every image.
    cams = str(tiny_job.tmp / 'cams_load_from')
    test = subprocess.run([
        sys.executable, 'tools/test.py', cfg,
        osp.join(work, 'epoch_2.pth'), '--work-dir', work, '--cfg-options',
        f'test_evaluator.output_dir={cams}'
    ], cwd=tiny_job.repo, capture_output=True, text=True)
    assert test.returncode == 0, test.stderr[-3000:]
    assert _cam_files(cams) == sorted(n + '.npz'
                                              for n in tiny_job.names)


def test_checkpoint_of_another_config_is_a_clear_error(tiny_job):
    rp = tiny_job.write_config('rp.py', epochs=1)
    work = str(tiny_job.tmp / 'work_mismatch')
    assert _train_cli([rp, '--work-dir', work],
                      tiny_job.repo).returncode == 0
    other = tiny_job.write_config('wide.py', epochs=1)
    text = open(other).read().replace('base_channels=8', 'base_channels=16')
    text = text.replace('in_channels=[8, 16, 32, 64]',
                        'in_channels=[16, 32, 64, 128]')
    open(other, 'w').write(text)
    res = subprocess.run([
        sys.executable, 'tools/test.py', other,
        osp.join(work, 'epoch_1.pth'), '--work-dir', work
    ], cwd=tiny_job.repo, capture_output=True, text=True)
    assert res.returncode != 0
    assert 'epoch_1.pth' in res.stderr and 'does not match' in res.stderr


def _dist(script, args, cwd, port):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    return subprocess.run(['bash', script] + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_dist_train_and_dist_test_two_cpu_processes(tiny_job, free_port):
    cfg = tiny_job.write_config('rp_dist.py', epochs=1, norm='SyncBN')
    work = str(tiny_job.tmp / 'work_dist')
    res = _dist('tools/dist_train.sh', [cfg, '2', '--work-dir', work],
                tiny_job.repo, free_port())
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    # Two processes split the 24 pairs: 3 iterations of 4 pairs each.
    assert 'Epoch(train) [1][3/3]' in out, out[-4000:]
    assert 'CPU distributed: gloo process group, rank 0 of 2' in out
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    # CAMs from 2 processes equal CAMs from 1 process.
    one, two = str(tiny_job.tmp / 'cams1'), str(tiny_job.tmp / 'cams2')
    single = subprocess.run([
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', work,
        '--cfg-options', f'test_evaluator.output_dir={one}'
    ], cwd=tiny_job.repo, capture_output=True, text=True)
    assert single.returncode == 0, single.stderr[-3000:]
    res = _dist('tools/dist_test.sh', [
        cfg, ckpt, '2', '--work-dir', work, '--cfg-options',
        f'test_evaluator.output_dir={two}'
    ], tiny_job.repo, free_port())
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert _cam_files(one) == _cam_files(two)
    assert len(_cam_files(one)) == len(tiny_job.names)
    for name in _cam_files(one):
        a = np.load(osp.join(one, name), allow_pickle=False)
        b = np.load(osp.join(two, name), allow_pickle=False)
        assert np.array_equal(a['keys'], b['keys'])
        assert np.allclose(a['high_res'], b['high_res'], atol=1e-5)
        assert np.allclose(a['cam'], b['cam'], atol=1e-5)


def test_cam_writing_resumes_after_a_kill(tiny_job):
    cfg = tiny_job.write_config('rp_kill.py', epochs=1)
    work = str(tiny_job.tmp / 'work_kill')
    assert _train_cli([cfg, '--work-dir', work],
                      tiny_job.repo).returncode == 0
    ckpt = osp.join(work, 'epoch_1.pth')
    full, part = str(tiny_job.tmp / 'full'), str(tiny_job.tmp / 'part')

    def write(out_dir, extra=()):
        return subprocess.run([
            sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', work,
            '--cfg-options', f'test_evaluator.output_dir={out_dir}',
            f'test_dataloader.dataset.skip_done_dir={out_dir}', *extra
        ], cwd=tiny_job.repo, capture_output=True, text=True)

    assert write(full).returncode == 0
    # "Killed" run: only the first 7 images were written, and a temporary
    # file was left behind mid-write.
    assert write(part, ['test_dataloader.dataset.indices=7']).returncode == 0
    assert len(_cam_files(part)) == 7
    with open(osp.join(part, '.im_20.npz.tmp.999'), 'wb') as f:
        f.write(b'partial')
    res = write(part)
    assert res.returncode == 0, res.stderr[-3000:]
    done = sorted(n for n in os.listdir(part) if n.endswith('.npz')
                  and not n.startswith('.'))
    assert done == _cam_files(full)
    for name in done:
        a = np.load(osp.join(full, name), allow_pickle=False)
        b = np.load(osp.join(part, name), allow_pickle=False)
        for key in ('keys', 'cam', 'high_res'):
            assert np.allclose(a[key], b[key], atol=1e-6)
