"""A tiny learnable VOC-layout dataset and config for end-to-end tests."""
import os
import os.path as osp
import types

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ('background', 'red', 'green', 'blue')
COLOURS = {0: (220, 30, 30), 1: (30, 200, 40), 2: (40, 60, 230)}
SIZE = 40


def _image(rng, class_ids):
    """Grey noise with one coloured square per class: learnable labels."""
    img = rng.integers(90, 140, (SIZE, SIZE, 3)).astype(np.uint8)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    for i, c in enumerate(class_ids):
        y, x = rng.integers(0, SIZE - 16, 2)
        img[y:y + 16, x:x + 16] = COLOURS[c]
        mask[y:y + 16, x:x + 16] = c + 1
    return img, mask


def build_dataset(root, num_images=24, seed=0):
    """Write images, masks, splits and cls_labels.npz under ``root``."""
    rng = np.random.default_rng(seed)
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    labels, names = {}, []
    for i in range(num_images):
        name = f'im_{i:02d}'
        class_ids = [i % 3] if i % 4 else [i % 3, (i + 1) % 3]
        img, mask = _image(rng, class_ids)
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        pal = Image.fromarray(mask, mode='P')
        pal.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] +
                       [0] * (256 * 3 - 12))
        pal.save(osp.join(root, 'SegmentationClass', name + '.png'))
        vec = np.zeros(3, np.float32)
        vec[class_ids] = 1
        labels[name] = vec
        names.append(name)
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(names),
             labels=np.stack([labels[n] for n in names]))
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return names


CONFIG = '''
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
data_root = {root!r}
metainfo = dict(classes={classes!r}, palette=[[0, 0, 0], [128, 0, 0],
                [0, 128, 0], [128, 128, 0]])
model = dict(
    type='CAMClassifier',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.] * 3,
                           std=[128.] * 3, bgr_to_rgb=True, size=(32, 32)),
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8,
                  strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1),
                  norm_cfg=dict(type='{norm}')),
    head=dict(type='{head}', in_channels=[8, 16, 32, 64], num_classes=3),
    test_cfg=dict(scales=(1.0, 0.5), flip=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='{collate}'),
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 img_suffix='.png', metainfo=metainfo, paired={paired},
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 img_suffix='.png', metainfo=metainfo, test_mode=True,
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='PackImageLevelInputs')]))
test_evaluator = dict(type='CAMWriter', output_dir={cam_dir!r})
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                    weight_decay=1e-4),
                     paramwise_cfg=dict(custom_keys={{'head.': dict(
                         lr_mult=10.0)}}))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end={epochs}, by_epoch=True,
                        convert_to_iter_based=True)]
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


def write_config(path, root, cam_dir, head='RPNetHead', epochs=2,
                 norm='BN'):
    """Write a runnable config for the tiny dataset; return its path."""
    paired = head == 'RPNetHead'
    text = CONFIG.format(
        root=root, classes=CLASSES, head=head, paired=paired,
        collate='pair_collate' if paired else 'pseudo_collate',
        cam_dir=cam_dir, epochs=epochs, norm=norm)
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


@pytest.fixture
def tiny_job(tmp_path):
    """Dataset + config paths for one end-to-end test."""
    root = str(tmp_path / 'data')
    names = build_dataset(root)
    return types.SimpleNamespace(
        root=root, names=names, tmp=tmp_path, repo=REPO,
        write_config=lambda name, **kw: write_config(
            tmp_path / name, root, str(tmp_path / 'cams'), **kw))
