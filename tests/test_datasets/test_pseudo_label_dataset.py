"""PseudoLabelSegDataset: each image with its own pseudo-label, clear errors.

The generated images encode their own index in their colour and each
pseudo-label encodes the same index in its class ids, so a pairing mistake
shows as a mismatch however the dataset orders or filters its samples.
"""
import logging
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmseg.registry import DATASETS
from rpnet_mmseg.datasets import pseudo_label_dataset

CLASSES = ('background', 'a', 'b', 'c', 'd', 'e')
NAMES = [f'im_{i}' for i in range(8)]
H, W = 12, 16
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def _colour(i):
    """Image colour encoding index i (BGR after loading is handled below)."""
    return (20 * i + 10, 100, 200 - 10 * i)


def _label(i):
    """Pseudo-label of image i: left half class 1 + i % 5, right half 0,
    the last row undecided (255)."""
    lab = np.zeros((H, W), np.uint8)
    lab[:, :W // 2] = 1 + i % 5
    lab[-1] = 255
    return lab


def _write_tree(root, pseudo_dir, with_label=NAMES, split='train.txt'):
    os.makedirs(osp.join(root, 'JPEGImages'), exist_ok=True)
    os.makedirs(osp.join(root, 'ImageSets/Segmentation'), exist_ok=True)
    os.makedirs(pseudo_dir, exist_ok=True)
    for i, name in enumerate(NAMES):
        img = np.zeros((H, W, 3), np.uint8)
        img[:] = _colour(i)
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        if name in with_label:
            Image.fromarray(_label(i), mode='L').save(
                osp.join(pseudo_dir, name + '.png'))
    with open(osp.join(root, 'ImageSets/Segmentation', split), 'w') as f:
        f.write('\n'.join(NAMES) + '\n')


def _build(root, pseudo_dir, **kwargs):
    cfg = dict(
        type='PseudoLabelSegDataset',
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages'),
        img_suffix='.png',
        pseudo_label_dir=pseudo_dir,
        metainfo=dict(classes=CLASSES),
        pipeline=PIPELINE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_each_image_gets_its_own_pseudo_label(tmp_path):
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'work' / 'pl')
    _write_tree(root, pseudo)
    ds = _build(root, pseudo)
    assert len(ds) == len(NAMES)
    seen = set()
    for idx in range(len(ds)):
        out = ds[idx]
        sample = out['data_samples']
        # The image's red channel (RGB) is 20 i + 10: recover i.
        bgr = out['inputs'].numpy()  # (3, H, W), BGR as loaded by mmcv
        i = (int(bgr[2, 0, 0]) - 10) // 20
        seen.add(i)
        assert osp.basename(sample.img_path) == f'im_{i}.png'
        assert sample.seg_map_path == osp.join(pseudo, f'im_{i}.png')
        gt = sample.gt_sem_seg.data.numpy()[0]
        assert np.array_equal(gt, _label(i)), i
    assert seen == set(range(len(NAMES)))
    assert ds.metainfo['classes'] == CLASSES
    assert len(ds.metainfo['palette']) == len(CLASSES)


def test_missing_pseudo_labels_are_a_clear_error(tmp_path):
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pl')
    have = NAMES[:1]  # 7 of 8 missing: the message lists 5 and the count
    _write_tree(root, pseudo, with_label=have)
    with pytest.raises(FileNotFoundError) as err:
        _build(root, pseudo)
    msg = str(err.value)
    assert '7 of 8 image(s)' in msg
    assert 'train.txt' in msg and pseudo in msg
    for name in NAMES[1:6]:
        assert name in msg
    assert 'im_7' not in msg and '...' in msg
    assert 'skip_missing=True' in msg


def test_skip_missing_drops_and_logs(tmp_path, monkeypatch):
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pl')
    have = ['im_0', 'im_3', 'im_6']
    _write_tree(root, pseudo, with_label=have)
    logged = []
    monkeypatch.setattr(pseudo_label_dataset, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    ds = _build(root, pseudo, skip_missing=True)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == have
    (msg, kw), = logged
    assert '5 of 8 image(s)' in msg and 'skipped' in msg
    assert kw['level'] == logging.WARNING
    # Pairing still holds after skipping.
    for idx, name in enumerate(have):
        gt = ds[idx]['data_samples'].gt_sem_seg.data.numpy()[0]
        assert np.array_equal(gt, _label(NAMES.index(name)))


def test_missing_folder_and_split_name_the_key(tmp_path):
    root = str(tmp_path / 'data')
    _write_tree(root, str(tmp_path / 'pl'))
    with pytest.raises(FileNotFoundError, match='pseudo_label_dir'):
        _build(root, str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='ann_file'):
        _build(root, str(tmp_path / 'pl'),
               ann_file='ImageSets/Segmentation/none.txt')
    with pytest.raises(ValueError, match='exclude each other'):
        _build(root, str(tmp_path / 'pl'), skip_missing=True,
               seg_map_optional=True)


def test_relative_pseudo_label_dir_is_relative_to_cwd(tmp_path, monkeypatch):
    root = str(tmp_path / 'data')
    _write_tree(root, str(tmp_path / 'work_dirs' / 'pl'))
    monkeypatch.chdir(tmp_path)
    ds = _build(root, 'work_dirs/pl')
    assert ds.get_data_info(0)['seg_map_path'] == 'work_dirs/pl/im_0.png'
    assert ds[0]['data_samples'].gt_sem_seg.data.shape == (1, H, W)


def test_masks_from_data_prefix_and_optional_masks(tmp_path):
    """pseudo_label_dir=None reads data_prefix masks; seg_map_optional keeps
    images without one (no gt_sem_seg packed)."""
    root = str(tmp_path / 'data')
    masks = osp.join(root, 'SegmentationClass')
    _write_tree(root, masks, with_label=['im_1', 'im_2'])
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadOptionalAnnotations'),
        dict(type='PackSegInputs')
    ]
    ds = _build(root, None, seg_map_optional=True, pipeline=pipeline,
                data_prefix=dict(img_path='JPEGImages',
                                 seg_map_path='SegmentationClass'))
    assert len(ds) == len(NAMES)
    for idx in range(len(ds)):
        info = ds.get_data_info(idx)
        sample = ds[idx]['data_samples']
        if info['img_id'] in ('im_1', 'im_2'):
            i = NAMES.index(info['img_id'])
            assert np.array_equal(sample.gt_sem_seg.data.numpy()[0],
                                  _label(i))
        else:
            assert info['seg_map_path'] is None
            assert 'gt_sem_seg' not in sample


def test_label_values_outside_the_classes_name_the_file(tmp_path):
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pl')
    _write_tree(root, pseudo)
    bad = _label(0)
    bad[2, 3] = 40  # a class id of a 41+-class dataset
    Image.fromarray(bad, mode='L').save(osp.join(pseudo, 'im_0.png'))
    ds = _build(root, pseudo)
    with pytest.raises(ValueError) as err:
        ds[0]
    assert 'im_0.png' in str(err.value) and '[40]' in str(err.value)
    ds[1]  # the others load
    assert 'data_samples' in _build(root, pseudo, check_labels=False)[0]


def test_label_source_and_ignore_index(tmp_path):
    """The label-map folder tools check, required unless skip_missing or
    seg_map_optional; ignore_index reaches the dataset."""
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pl')
    _write_tree(root, pseudo)
    assert _build(root, pseudo).label_source() == (pseudo, True)
    assert _build(root, pseudo,
                  skip_missing=True).label_source() == (pseudo, False)
    assert _build(root, pseudo,
                  seg_map_optional=True).label_source() == (pseudo, False)
    masks = _build(root, None, lazy_init=True, data_prefix=dict(
        img_path='JPEGImages', seg_map_path='SegmentationClass'))
    assert masks.label_source() == (osp.join(root, 'SegmentationClass'),
                                    True)
    assert _build(root, pseudo, ignore_index=254).ignore_index == 254


def test_unreadable_pseudo_label_names_image_and_file(tmp_path):
    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pl')
    _write_tree(root, pseudo)
    label_file = osp.join(pseudo, 'im_2.png')
    with open(label_file, 'rb') as f:
        data = f.read()
    with open(label_file, 'wb') as f:  # cut inside the pixel data
        f.write(data[:len(data) // 2])
    ds = _build(root, pseudo)
    with pytest.raises(RuntimeError) as err:
        ds[2]
    message = str(err.value)
    assert label_file in message
    assert osp.join(root, 'JPEGImages', 'im_2.png') in message
    assert isinstance(err.value.__cause__, OSError)  # chained
    ds[1]  # the others load
