"""Every shipped CPU-demo CAM config trains under ``dist_train.sh CONFIG 2``.

DDP runs with ``find_unused_parameters=False``: a trainable parameter that no
loss reaches stops training on the second iteration with "Expected to have
finished reduction in the prior iteration". Each demo config trains three
iterations per process on the real MSRC-VOC photos over gloo.
"""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA = osp.join(REPO, '..', 'shared', 'data', 'msrc_voc')
DEMO_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'rpnet', '*msrc*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'cam', '*msrc*.py')))


def test_demo_configs_found():
    assert len(DEMO_CONFIGS) >= 4


@pytest.mark.skipif(not osp.isdir(DATA), reason='demo data not found')
@pytest.mark.parametrize('path', DEMO_CONFIGS,
                         ids=[osp.basename(p) for p in DEMO_CONFIGS])
def test_demo_config_dist_train_two_processes(path, tmp_path):
    per_iter = 2  # samples (pairs for RPNet) per process and iteration
    images = 3 * 2 * per_iter  # 3 iterations on each of 2 processes
    work = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable,
               PORT=str(29620 + DEMO_CONFIGS.index(path)),
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    res = subprocess.run([
        'bash', 'tools/dist_train.sh', path, '2', '--work-dir', work,
        '--cfg-options', 'train_cfg.max_epochs=1',
        f'train_dataloader.batch_size={per_iter}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'train_dataloader.dataset.indices={images}',
        'default_hooks.logger.interval=1'
    ], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert 'Expected to have finished reduction' not in out
    assert 'Epoch(train) [1][3/3]' in out, out[-4000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
