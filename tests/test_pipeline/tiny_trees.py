"""Tiny VOC-aug and COCO-14 trees and options that make the paper configs
small enough to run every pipeline stage on the CPU in seconds."""
import json
import os
import os.path as osp

import numpy as np
from PIL import Image

SIZE = 40
# Learnable: class k (1-based) is a square of one colour.
COLOURS = {1: (220, 30, 30), 2: (30, 200, 40), 3: (40, 60, 230)}


def _draw(rng, classes):
    img = rng.integers(90, 140, (SIZE, SIZE, 3)).astype(np.uint8)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    for c in classes:
        y, x = rng.integers(0, SIZE - 16, 2)
        img[y:y + 16, x:x + 16] = COLOURS[c]
        mask[y:y + 16, x:x + 16] = c
    return img, mask


def _write(rng, img_dir, mask_dir, name, classes):
    img, mask = _draw(rng, classes)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(mask_dir, exist_ok=True)
    Image.fromarray(img).save(osp.join(img_dir, name + '.jpg'), quality=95)
    Image.fromarray(mask).save(osp.join(mask_dir, name + '.png'))


def _classes(i):
    return [1 + i % 3] if i % 4 else [1 + i % 3, 1 + (i + 1) % 3]


def _split(root, name, names):
    path = osp.join(root, 'ImageSets', 'Segmentation', name + '.txt')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(names) + '\n')


def build_voc_tree(root, num_train=8, num_val=4, seed=0):
    """VOC 2012 + SBD in the WSSS layout: train_aug (all training images),
    train (those with masks: all here), val, cls_labels.npz (20 classes)."""
    rng = np.random.default_rng(seed)
    names, labels = [], []
    for i in range(num_train):
        name = f'2007_{i:06d}'
        _write(rng, osp.join(root, 'JPEGImages'),
               osp.join(root, 'SegmentationClass'), name, _classes(i))
        vec = np.zeros(20, np.float32)
        vec[[c - 1 for c in _classes(i)]] = 1
        names.append(name)
        labels.append(vec)
    val = []
    for i in range(num_val):
        name = f'2008_{i:06d}'
        _write(rng, osp.join(root, 'JPEGImages'),
               osp.join(root, 'SegmentationClass'), name, _classes(i + 1))
        val.append(name)
    _split(root, 'train_aug', names)
    _split(root, 'train', names)
    _split(root, 'val', val)
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(names),
             labels=np.stack(labels))
    return names


def build_coco_tree(root, num_train=8, num_val=4, seed=0):
    """COCO 2014 in the layout of tools/dataset_converters/coco_wsss.py."""
    rng = np.random.default_rng(seed)
    names, labels = [], []
    for i in range(num_train):
        name = f'COCO_train2014_{i:012d}'
        _write(rng, osp.join(root, 'train2014'),
               osp.join(root, 'SegmentationClass', 'train2014'), name,
               _classes(i))
        vec = np.zeros(80, np.float32)
        vec[[c - 1 for c in _classes(i)]] = 1
        names.append(name)
        labels.append(vec)
    val = []
    for i in range(num_val):
        name = f'COCO_val2014_{i:012d}'
        _write(rng, osp.join(root, 'val2014'),
               osp.join(root, 'SegmentationClass', 'val2014'), name,
               _classes(i + 1))
        val.append(name)
    _split(root, 'train2014', names)
    _split(root, 'val2014', val)
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(names),
             labels=np.stack(labels))
    from mmengine.config import Config
    meta = Config.fromfile(
        osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
            __file__)))), 'configs', '_base_', 'datasets', 'coco14_meta.py'))
    with open(osp.join(root, 'labels.json'), 'w') as f:
        json.dump({'classes': list(meta.metainfo['classes']),
                   'palette': meta.metainfo['palette']}, f)
    return names


_LOADERS = {
    'train_dataloader.batch_size': 2,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
}


def tiny_options(kind):
    """``--cfg-options`` that shrink a paper config of ``kind``
    ('cam', 'irn', 'seg'): no ImageNet download, 32-pixel crops, one epoch
    (four iterations for DeepLab), no worker processes."""
    crop = (32, 32)
    if kind == 'cam':
        return {
            **_LOADERS, 'model.backbone.init_cfg': None,
            'model.data_preprocessor.size': crop,
            'model.test_cfg.scales': [1.0, 0.5],
            'train_dataloader.dataset.pipeline.1.scale': (SIZE, SIZE),
            'train_dataloader.dataset.pipeline.2.crop_size': crop,
            'train_cfg.max_epochs': 1
        }
    if kind == 'irn':
        return {
            **_LOADERS, 'model.backbone.init_cfg': None,
            'model.data_preprocessor.size': crop,
            'train_dataloader.dataset.pipeline.2.scale': (SIZE, SIZE),
            'train_dataloader.dataset.pipeline.3.crop_size': crop,
            'train_cfg.max_epochs': 1,
            'relation_label_cfg.nproc': 1,
        }
    return {
        **_LOADERS, 'model.backbone.init_cfg': None,
        'model.pretrained': None,
        'model.data_preprocessor.size': crop,
        'train_dataloader.dataset.pipeline.2.scale': (2 * SIZE, SIZE),
        'train_dataloader.dataset.pipeline.3.crop_size': crop,
        'test_dataloader.dataset.pipeline.1.scale': (2 * SIZE, SIZE),
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 4,
        'param_scheduler.0.end': 4,
        'default_hooks.checkpoint.interval': 4,
        'default_hooks.logger.interval': 1,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'val_dataloader.dataset.pipeline.1.scale': (2 * SIZE, SIZE),
    }


def tiny_pipeline(cfg, root, data_root, folder=False):
    """Point a pipeline config at a tiny tree and shrink every stage.

    ``folder``: the folder pipeline's DeepLab has no val loop and no resize
    in its test pipeline, and starts from the run's CAM network (as the
    demo's does).
    """
    cfg.work_dir = root
    cfg.data_root = data_root
    kinds = {cfg.cam_config: 'cam', cfg.irn_config: 'irn',
             cfg.seg_config: 'seg'}
    for stage in cfg.stages.values():
        if stage.get('config') in kinds:
            options = dict(tiny_options(kinds[stage['config']]))
            if folder and kinds[stage['config']] == 'seg':
                drop = ('val_', 'train_cfg.val', 'model.backbone.init_cfg',
                        'test_dataloader.dataset.pipeline')
                options = {k: v for k, v in options.items()
                           if not k.startswith(drop)}
            options.update(stage.get('cfg_options') or {})
            stage['cfg_options'] = options
    return cfg


FOLDER_CLASSES = {1: 'red', 2: 'green', 3: 'blue'}


def build_folder_tree(root, num_images=30, num_masks=5, num_unlabelled=3,
                      tags='csv', classes_txt=True, seed=0):
    """A folder of tagged photos ("Your own data"): ``images/`` (``.jpg``
    and ``.png``, one name with a space), the tags as ``labels.csv`` (both
    separators, one background-only row) or mmpretrain's ``labels.json``,
    ``classes.txt`` in another order than the sorted tags (or that order in
    the JSON's metainfo alone), masks for every sixth image
    (``num_masks``) and ``num_unlabelled`` untagged images. Returns the
    image names.
    """
    rng = np.random.default_rng(seed)
    order = ['red', 'blue', 'green']  # classes.txt: not sorted
    if classes_txt:
        with open(osp.join(_mkdir(root), 'classes.txt'), 'w') as f:
            f.write('\n'.join(order) + '\n')
    names, rows = [], []
    for i in range(num_images):
        classes = _classes(i) if i < num_images - 1 else []  # background
        name = f'photo {i:02d}' if i == 3 else f'img_{i:02d}'
        img, mask = _draw(rng, classes)
        mask = np.vectorize(lambda v: 0 if v == 0 else 1 + order.index(
            FOLDER_CLASSES[v]))(mask).astype(np.uint8)
        suffix = '.png' if i % 5 == 0 else '.jpg'
        path = osp.join(_mkdir(root, 'images'), name + suffix)
        Image.fromarray(img).save(path, **({'quality': 95}
                                           if suffix == '.jpg' else {}))
        if i % 6 == 0 and i < 6 * num_masks:
            Image.fromarray(mask).save(
                osp.join(_mkdir(root, 'masks'), name + '.png'))
        names.append(name)
        rows.append((name + suffix, [FOLDER_CLASSES[c] for c in classes]))
    for i in range(num_unlabelled):
        img, _ = _draw(rng, [1 + i % 3])
        Image.fromarray(img).save(
            osp.join(_mkdir(root, 'unlabelled'), f'new_{i}.jpg'))
    if tags == 'csv':
        with open(osp.join(root, 'labels.csv'), 'w') as f:
            f.write('image,labels\n')
            for i, (file, tags_) in enumerate(rows):
                sep = ';' if i % 8 == 4 else ' '
                f.write(f'{file},{sep.join(tags_)}\n')
    else:
        data_list = [{'img_path': f'images/{file}',
                      'gt_label': [order.index(t) for t in tags_]}
                     for file, tags_ in rows]
        with open(osp.join(root, 'labels.json'), 'w') as f:
            json.dump({'metainfo': {'classes': order},
                       'data_list': data_list}, f)
    return names


def _mkdir(*parts):
    path = osp.join(*parts)
    os.makedirs(path, exist_ok=True)
    return path
