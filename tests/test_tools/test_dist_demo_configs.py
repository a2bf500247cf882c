"""Every shipped CPU-demo config (CAM, IRN, DeepLab) trains under ``dist_train.sh CONFIG 2``.

DDP runs with ``find_unused_parameters=False``: a trainable parameter that no
loss reaches stops training on the second iteration with "Expected to have
finished reduction in the prior iteration". Each demo config trains three
iterations per process on the real MSRC-VOC photos over gloo, read from the
configs' own ``data_root`` (``data/msrc_voc``, linked by the
``msrc_data_root`` fixture of ``tests/conftest.py`` when needed).
"""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'rpnet', '*msrc*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'cam', '*msrc*.py')))


def test_demo_configs_found():
    assert len(DEMO_CONFIGS) >= 4


@pytest.mark.parametrize('path', DEMO_CONFIGS,
                         ids=[osp.basename(p) for p in DEMO_CONFIGS])
def test_demo_config_dist_train_two_processes(path, tmp_path, msrc_data_root,
                                              free_port):
    per_iter = 2  # samples (pairs for RPNet) per process and iteration
    images = 3 * 2 * per_iter  # 3 iterations on each of 2 processes
    work = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable,
               PORT=str(free_port()),
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


# The later stages' demo configs read a label folder of the previous stage
# (relation labels for IRN, pseudo-labels for DeepLab): a few generated
# label maps stand in for it (``skip_missing`` drops the other images), and
# the DeepLab backbone keeps its ImageNet weights instead of the CAM
# network's checkpoint.
LABEL_CONFIGS = {
    'irn': (osp.join(REPO, 'configs', 'irn',
                     'irn_effnetlite0_1xb8-3ep_msrc-192x192.py'),
            ['train_cfg.max_epochs=1']),
    'deeplab': (osp.join(
        REPO, 'configs', 'deeplab',
        'deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py'),
                ['train_cfg.max_iters=3', 'param_scheduler.0.end=3',
                 'model.backbone.init_cfg=None']),
    # the fully supervised reference reads the train_dev masks themselves
    'deeplab_gt': (osp.join(
        REPO, 'configs', 'deeplab',
        'deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-traindev-gt-'
        '256x256.py'),
                   ['train_cfg.max_iters=3', 'param_scheduler.0.end=3',
                    'model.backbone.init_cfg=None']),
}


def _write_label_maps(data, folder, num):
    """``num`` label maps (0 background, 1 a class, 255 unsure) of the
    first ``train`` images of ``data``, each at its image's size."""
    import numpy as np
    from PIL import Image
    os.makedirs(folder)
    with open(osp.join(data, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        names = [line.strip() for line in f if line.strip()][:num]
    rng = np.random.default_rng(0)
    for name in names:
        w, h = Image.open(osp.join(data, 'JPEGImages', name + '.jpg')).size
        label = rng.choice(np.array([0, 1, 255], np.uint8), size=(h, w))
        Image.fromarray(label).save(osp.join(folder, name + '.png'))


@pytest.mark.parametrize('stage', sorted(LABEL_CONFIGS))
def test_label_stage_demo_config_dist_train_two_processes(
        stage, tmp_path, msrc_data_root, free_port):
    path, options = LABEL_CONFIGS[stage]
    labels = str(tmp_path / 'labels')
    _write_label_maps(msrc_data_root, labels, 8)
    work = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable,
               PORT=str(free_port()),
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    res = subprocess.run([
        'bash', 'tools/dist_train.sh', path, '2', '--work-dir', work,
        '--cfg-options', *options, 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1'
    ] + ([] if stage == 'deeplab_gt' else [
        f'train_dataloader.dataset.pseudo_label_dir={labels}',
        'train_dataloader.dataset.skip_missing=True'
    ]), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert 'Expected to have finished reduction' not in out
    # 8 images over 2 processes x 2 per iteration: 2 iterations (IRN's
    # epoch); DeepLab's infinite sampler runs its 3 (on masks or labels).
    last = 'Epoch(train) [1][2/2]' if stage == 'irn' else 'Iter(train) [3/3]'
    assert last in out, out[-4000:]
    ckpt = 'epoch_1.pth' if stage == 'irn' else 'iter_3.pth'
    assert osp.isfile(osp.join(work, ckpt))
