"""Segmentation stage end to end on tiny generated data, on CPU.

DeepLab-LargeFOV (a tiny ResNet-18, 8 base channels, output stride 8)
trains on pseudo-labels with mmseg's runner: real iterations with a falling
loss, validation with IoUMetric and the best-mIoU checkpoint, ``--resume``,
``tools/test.py`` writing one PNG per test image with mIoU over the images
that have a mask, overlays, multi-scale + flip TTA with the dense CRF, and
``tools/dist_train.sh`` / ``dist_test.sh`` with 2 gloo processes.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from PIL import Image

from rpnet_mmseg.engine import load_checkpoint_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ('background', 'red', 'green', 'blue')
COLOURS = {1: (220, 30, 30), 2: (30, 200, 40), 3: (40, 60, 230)}
SIZE = 40
TRAIN = [f'tr_{i:02d}' for i in range(16)]
VAL = [f'va_{i}' for i in range(6)]
VAL_DEV = VAL[:4]  # the val images with a mask


def _image_and_mask(rng, i):
    img = rng.integers(90, 140, (SIZE, SIZE, 3)).astype(np.uint8)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    for c in ({1 + i % 3} if i % 2 else {1 + i % 3, 1 + (i + 1) % 3}):
        y, x = rng.integers(0, SIZE - 16, 2)
        img[y:y + 16, x:x + 16] = COLOURS[c]
        mask[y:y + 16, x:x + 16] = c
    return img, mask


def build_data(root):
    """Images, pseudo-labels of TRAIN (masks with an undecided border),
    masks of VAL_DEV, split files."""
    rng = np.random.default_rng(0)
    pl = osp.join(root, 'pseudo_labels')
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    os.makedirs(pl, exist_ok=True)
    for i, name in enumerate(TRAIN + VAL):
        img, mask = _image_and_mask(rng, i)
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        if name in TRAIN:
            mask = mask.copy()
            mask[:2] = 255
            Image.fromarray(mask).save(osp.join(pl, name + '.png'))
        elif name in VAL_DEV:
            Image.fromarray(mask).save(
                osp.join(root, 'SegmentationClass', name + '.png'))
    for split, names in (('train', TRAIN), ('val', VAL),
                         ('val_dev', VAL_DEV)):
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'),
                  'w') as f:
            f.write('\n'.join(names) + '\n')
    return pl


CONFIG = '''
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
data_root = {root!r}
metainfo = dict(classes={classes!r},
                palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]])
crop_size = (32, 32)
norm_cfg = dict(type={norm!r}, requires_grad=True)
model = dict(
    type='CRFEncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.] * 3,
                           std=[64.] * 3, bgr_to_rgb=True, pad_val=0,
                           seg_pad_val=255, size=crop_size),
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8,
                  strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                  norm_cfg=norm_cfg),
    decode_head=dict(type='DeepLabLargeFOVHead', in_channels=64, in_index=3,
                     fc_channels=32, channels=32, dilation=2, num_classes=4,
                     fc_dropout_ratio=0.0, dropout_ratio=0.1),
    crf=dict(type='DenseCRFPostProcessor', num_iters=5),
    test_cfg=dict(mode='whole', with_crf=False))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')]
val_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')]
test_pipeline = [dict(type='LoadImageFromFile'),
                 dict(type='LoadOptionalAnnotations'),
                 dict(type='PackSegInputs')]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True)
         for r in (0.75, 1.0)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadOptionalAnnotations')], [dict(type='PackSegInputs')]])]
tta_model = dict(type='CRFSegTTAModel')
common = dict(type='PseudoLabelSegDataset', data_root=data_root,
              metainfo=metainfo, img_suffix='.png')
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(common, ann_file='ImageSets/Segmentation/train.txt',
                 data_prefix=dict(img_path='JPEGImages'),
                 pseudo_label_dir={pl!r}, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(common, ann_file='ImageSets/Segmentation/val_dev.txt',
                 pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(common, ann_file='ImageSets/Segmentation/val.txt',
                 seg_map_optional=True, pipeline=test_pipeline))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = [dict(type='LabelledIoUMetric', iou_metrics=['mIoU']),
                  dict(type='LabelPNGWriter', output_dir={pred!r})]
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                    weight_decay=5e-4),
                     paramwise_cfg=dict(custom_keys={{'decode_head': dict(
                         lr_mult=10.0)}}))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end={iters}, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters={iters},
                 val_interval={interval})
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval={interval}, max_keep_ckpts=2,
                    save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
custom_hooks = [dict(type='StageProvenanceHook')]
visualizer = dict(type='SegLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """The generated dataset and a config writer, shared by the tests."""
    tmp = tmp_path_factory.mktemp('deeplab')
    root = str(tmp / 'data')
    pl = build_data(root)

    def write(name, iters=40, interval=20, norm='BN', pred=None):
        path = str(tmp / name)
        with open(path, 'w') as f:
            f.write(CONFIG.format(
                root=root, classes=CLASSES, pl=pl, norm=norm, iters=iters,
                interval=interval, pred=pred or str(tmp / 'preds')))
        return path

    return type('Data', (), dict(tmp=tmp, root=root, write=write))


class LossRecorder(Hook):

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['decode.loss_ce'].item())


@pytest.fixture(scope='module')
def trained(data):
    """40 real iterations in-process (one thread: tiny model, shared CPU),
    validation at 20 and 40."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = Config.fromfile(data.write('train.py', iters=40, interval=20))
        cfg.work_dir = str(data.tmp / 'work')
        runner = Runner.from_cfg(cfg)
        recorder = LossRecorder()
        runner.register_hook(recorder)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return type('Trained', (), dict(
        cfg=data.write('train.py', iters=40, interval=20),
        work_dir=cfg.work_dir, losses=recorder.losses,
        ckpt=osp.join(cfg.work_dir, 'iter_40.pth')))


def _cli(args, **env):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', **env)
    res = subprocess.run([sys.executable] + args, cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    return res, res.stdout + res.stderr


def _scalars(work):
    """Every record of the run's scalars.json (mmengine's LocalVisBackend)."""
    files = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    records = []
    for path in files:
        records += [json.loads(line) for line in open(path)]
    return records


def _read_preds(folder):
    return {n: np.array(Image.open(osp.join(folder, n + '.png')))
            for n in VAL}


def test_real_iterations_loss_falls_val_iou_best_checkpoint(trained):
    losses = trained.losses
    assert len(losses) == 40
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert last < 0.6 * first, (first, last)
    vals = [r for r in _scalars(trained.work_dir) if 'mIoU' in r]
    assert len(vals) == 2  # validation at iterations 20 and 40
    assert all(0 <= r['mIoU'] <= 100 for r in vals)
    assert vals[-1]['mIoU'] > 40, vals  # all-background scores 19
    best = glob.glob(osp.join(trained.work_dir, 'best_mIoU_iter_*.pth'))
    assert len(best) == 1
    best_iter = int(best[0].rsplit('_', 1)[1].split('.')[0])
    assert best_iter == max(vals, key=lambda r: r['mIoU'])['step']


def test_resume(data):
    cfg = data.write('resume.py', iters=4, interval=4)
    work = str(data.tmp / 'work_resume')
    res, out = _cli(['tools/train.py', cfg, '--work-dir', work])
    assert res.returncode == 0, out[-3000:]
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    res, out = _cli([
        'tools/train.py', cfg, '--work-dir', work, '--resume',
        '--resume-changed',  # a longer schedule is a changed config
        '--cfg-options', 'train_cfg.max_iters=8', 'param_scheduler.0.end=8'
    ])
    assert res.returncode == 0, out[-3000:]
    assert 'resumed epoch: 0, iter: 4' in out
    assert 'Iter(train) [8/8]' in out and 'Iter(train) [1/8]' not in out
    assert 'Iter(train) [5/8]' in out
    ckpt = load_checkpoint_file(osp.join(work, 'iter_8.pth'))
    assert ckpt['meta']['iter'] == 8


def test_test_writes_pngs_iou_overlays_then_tta_with_crf(data, trained):
    """One PNG per val image (values 0..3), mIoU over the 4 with a mask,
    overlays by mmseg's SegVisualizationHook; then multi-scale + flip TTA
    with the CRF after the merge into another folder."""
    preds, show = str(data.tmp / 'preds'), str(data.tmp / 'show')
    res, out = _cli(['tools/test.py', trained.cfg, trained.ckpt,
                     '--work-dir', trained.work_dir, '--show-dir', show])
    assert res.returncode == 0, out[-3000:]
    assert '4 image(s) with a mask evaluated' in out and 'mIoU' in out
    assert sorted(n for n in os.listdir(preds) if n.endswith('.png')) == \
        sorted(n + '.png' for n in VAL)
    plain = _read_preds(preds)
    for pred in plain.values():
        assert pred.shape == (SIZE, SIZE) and pred.max() <= 3
    assert len(set(np.unique(np.stack(list(plain.values()))))) > 1
    overlays = glob.glob(osp.join(show, '**', '*.png'), recursive=True)
    assert len(overlays) == len(VAL)

    crf = str(data.tmp / 'preds_crf')
    res, out = _cli([
        'tools/test.py', trained.cfg, trained.ckpt, '--work-dir',
        trained.work_dir, '--tta', '--cfg-options',
        'model.test_cfg.with_crf=True', f'test_evaluator.1.output_dir={crf}'
    ])
    assert res.returncode == 0, out[-3000:]
    assert '4 image(s) with a mask evaluated' in out
    refined = _read_preds(crf)
    changed = 0
    for name in VAL:
        assert refined[name].shape == (SIZE, SIZE)
        assert refined[name].max() <= 3
        changed += int((refined[name] != plain[name]).sum())
    assert changed > 0  # TTA + CRF is not a no-op


def test_dist_train_and_dist_test_two_cpu_processes(data, trained, free_port):
    cfg = data.write('dist.py', iters=4, interval=4, norm='SyncBN',
                     pred=str(data.tmp / 'preds_dist'))
    work = str(data.tmp / 'work_dist')
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONUNBUFFERED='1')
    res = subprocess.run(
        ['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work],
        cwd=REPO, env=dict(env, PORT=str(free_port())), capture_output=True,
        text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert 'CPU distributed: gloo process group, rank 0 of 2' in out
    # 16 images, 4 per process and iteration.
    assert 'Iter(train) [4/4]' in out
    assert 'Expected to have finished reduction' not in out
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    # dist_test.sh with the in-process model: 2 processes write the same
    # PNGs as the single-process tools/test.py run.
    two = str(data.tmp / 'preds_two')
    res = subprocess.run([
        'bash', 'tools/dist_test.sh', trained.cfg, trained.ckpt, '2',
        '--work-dir', work, '--cfg-options',
        f'test_evaluator.1.output_dir={two}'
    ], cwd=REPO, env=dict(env, PORT=str(free_port())), capture_output=True,
        text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert '4 image(s) with a mask evaluated' in out
    single = str(data.tmp / 'preds')
    if not osp.isdir(single):
        pytest.skip('run with the tools/test.py test for the comparison')
    a, b = _read_preds(single), _read_preds(two)
    for name in VAL:
        assert np.array_equal(a[name], b[name]), name
