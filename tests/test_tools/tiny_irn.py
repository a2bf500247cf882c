"""A tiny generated IRN stage for test_train_irn.py: images, masks, CAMs,
relation labels, config.

Images are grey noise with one or two coloured squares (one colour per
class); relation labels are the masks with an unsure (255) band along the
squares' borders, as a dense CRF leaves them; CAMs are the class masks,
blurred and max-normalised, in IRN's file format. Masks exist for the even
images only, as a split whose other masks are held back.
"""
import os
import os.path as osp
import subprocess
import sys
import types

import numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation, binary_erosion, uniform_filter

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ('background', 'red', 'green', 'blue')
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
COLOURS = {0: (220, 30, 30), 1: (30, 200, 40), 2: (40, 60, 230)}
H, W = 38, 46  # stride-4 grid 10 x 12 (not a multiple of 4)


def _image(rng, class_ids):
    img = rng.integers(90, 140, (H, W, 3)).astype(np.uint8)
    mask = np.zeros((H, W), np.uint8)
    for i, c in enumerate(class_ids):
        y, x = rng.integers(0, H - 16), rng.integers(0, W - 18)
        img[y:y + 16, x:x + 18] = COLOURS[c]
        mask[y:y + 16, x:x + 18] = c + 1
    return img, mask


def _relation_label(mask):
    """The mask with a 255 band on both sides of every region border."""
    label = mask.copy()
    for value in np.unique(mask):
        region = mask == value
        band = binary_dilation(
            region, iterations=1) & ~binary_erosion(
                region, iterations=1)
        label[band] = 255
    return label


def _cams(mask, class_ids):
    keys = np.array(sorted(class_ids), np.int64)
    high = np.stack([
        uniform_filter((mask == k + 1).astype(np.float32), size=5)
        for k in keys
    ])
    high /= np.maximum(high.max(axis=(1, 2), keepdims=True), 1e-5)
    return {'keys': keys, 'cam': high[:, ::4, ::4].copy(), 'high_res': high}


def _save_label(path, label):
    img = Image.fromarray(label, mode='P')
    pal = np.zeros((256, 3), np.uint8)
    pal[:len(PALETTE)] = PALETTE
    img.putpalette(pal.ravel().tolist())
    img.save(path)


def build_irn_data(root, work, num_images=12, seed=0):
    """Write the dataset under ``root`` and the stage folders under ``work``.

    Returns:
        SimpleNamespace: ``names``, ``masked`` (names with a mask),
        ``cam_dir``, ``relation_label_dir``, ``keys`` (name -> class ids).
    """
    rng = np.random.default_rng(seed)
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    cam_dir = osp.join(work, 'cams')
    rel_dir = osp.join(work, 'relation_labels')
    os.makedirs(cam_dir, exist_ok=True)
    os.makedirs(rel_dir, exist_ok=True)
    labels, names, masked, keys = {}, [], [], {}
    for i in range(num_images):
        name = f'im_{i:02d}'
        class_ids = [i % 3] if i % 4 else [i % 3, (i + 1) % 3]
        img, mask = _image(rng, class_ids)
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        if i % 2 == 0:
            _save_label(
                osp.join(root, 'SegmentationClass', name + '.png'), mask)
            masked.append(name)
        _save_label(osp.join(rel_dir, name + '.png'), _relation_label(mask))
        np.savez(osp.join(cam_dir, name + '.npz'), **_cams(mask, class_ids))
        vec = np.zeros(3, np.float32)
        vec[class_ids] = 1
        labels[name] = vec
        names.append(name)
        keys[name] = sorted(class_ids)
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(names),
             labels=np.stack([labels[n] for n in names]))
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return types.SimpleNamespace(
        names=names,
        masked=masked,
        cam_dir=cam_dir,
        relation_label_dir=rel_dir,
        keys=keys)


CONFIG = '''
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
data_root = {root!r}
cam_dir = {cam_dir!r}
relation_label_dir = {rel_dir!r}
pseudo_label_dir = {out_dir!r}
metainfo = dict(classes={classes!r}, palette={palette!r})
model = dict(
    type='IRNet',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.] * 3,
                           std=[128.] * 3, bgr_to_rgb=True, size=(32, 32),
                           pad_val=0, seg_pad_val=255),
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8,
                  strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1),
                  norm_cfg=dict(type='{norm}')),
    edge_head=dict(type='IRNEdgeHead', in_channels=[8, 16, 32, 64],
                   channels=8, num_groups=2),
    displacement_head=dict(type='IRNDisplacementHead',
                           in_channels=[8, 16, 32, 64],
                           channels=[8, 16, 16, 16], fuse_channels=16),
    train_cfg=dict(path_index=dict(radius=4)),
    test_cfg=dict(path_index=dict(radius=3), beta=10, exp_times=4,
                  bg_threshold=0.25))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(46, 46), ratio_range=(0.75, 1.25),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='PseudoLabelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 data_prefix=dict(img_path='JPEGImages'), img_suffix='.png',
                 pseudo_label_dir=relation_label_dir, metainfo=metainfo,
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 img_suffix='.png', metainfo=metainfo, test_mode=True,
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadOptionalAnnotations'),
                           dict(type='LoadCAMFromFile', cam_dir=cam_dir),
                           dict(type='PackCAMInputs')]))
test_evaluator = [dict(type='LabelPNGWriter', output_dir=pseudo_label_dir),
                  dict(type='LabelledIoUMetric', allow_no_mask=True)]
custom_hooks = [dict(type='StageProvenanceHook')]
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.1, momentum=1e-4,
                                    weight_decay=1e-4),
                     paramwise_cfg=dict(custom_keys={{'displacement_head.':
                                                      dict(lr_mult=10.0)}}))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        by_epoch=True, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={epochs})
test_cfg = dict(type='TestLoop')
val_dataloader = val_cfg = val_evaluator = None
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
'''


def write_config(path, root, data, out_dir, epochs=2, norm='BN'):
    """Write the IRN config of the data ``build_irn_data`` returned.

    Args:
        path: The config file to write.
        root (str): The dataset folder.
        data (SimpleNamespace): What ``build_irn_data`` returned.
        out_dir (str): Where ``tools/test.py`` writes pseudo-labels.
        epochs (int): Training epochs. Defaults to 2.
        norm (str): The backbone's norm layer. Defaults to 'BN'.

    Returns:
        str: ``path``.
    """
    text = CONFIG.format(
        root=root,
        cam_dir=data.cam_dir,
        rel_dir=data.relation_label_dir,
        out_dir=out_dir,
        classes=CLASSES,
        palette=PALETTE,
        norm=norm,
        epochs=epochs)
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def run_tool(args, script='tools/train.py', env_extra=None):
    """Run one of the repository's tools in a subprocess."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, script] + list(args),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
