"""IRN's data: relation labels through mmseg's transforms, CAM loading."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from mmseg.registry import DATASETS, TRANSFORMS
from rpnet_mmseg.datasets.transforms import LoadCAMFromFile, PackCAMInputs

CLASSES = ('background', 'cat', 'dog')
# RGB colour of each label (255 included) in the generated images.
COLOURS = {0: (0, 0, 0), 1: (250, 0, 0), 2: (0, 250, 0), 255: (0, 0, 250)}
H, W = 36, 52
NAMES = ['a', 'b', 'c', 'd']


def _label(i):
    """Left block class 1, right block class 2 (or bg), a 255 band."""
    label = np.zeros((H, W), np.uint8)
    label[4:30, 3:20] = 1
    label[10:34, 28:48 - i] = 2 if i % 2 == 0 else 0
    label[4:30, 20:23] = 255
    return label


def _write_root(root, with_labels=NAMES):
    os.makedirs(osp.join(root, 'JPEGImages'))
    os.makedirs(osp.join(root, 'ImageSets/Segmentation'))
    rel = osp.join(root, 'relation_labels')
    os.makedirs(rel)
    for i, name in enumerate(NAMES):
        label = _label(i)
        img = np.zeros((H, W, 3), np.uint8)
        for value, rgb in COLOURS.items():
            img[label == value] = rgb
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        if name in with_labels:
            Image.fromarray(label, mode='L').save(osp.join(rel, name + '.png'))
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write('\n'.join(NAMES) + '\n')
    return rel


def _dataset(root, rel, pipeline):
    init_default_scope('mmseg')
    return DATASETS.build(
        dict(
            type='PseudoLabelSegDataset',
            data_root=root,
            ann_file='ImageSets/Segmentation/train.txt',
            data_prefix=dict(img_path='JPEGImages'),
            img_suffix='.png',
            pseudo_label_dir=rel,
            metainfo=dict(classes=CLASSES),
            pipeline=pipeline))


TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(52, 52),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=(24, 24)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]


def test_image_and_relation_label_move_together(tmp_path):
    root = str(tmp_path / 'data')
    rel = _write_root(root)
    dataset = _dataset(root, rel, TRAIN_PIPELINE)
    assert len(dataset) == len(NAMES)
    palette_bgr = {v: np.array(rgb[::-1]) for v, rgb in COLOURS.items()}
    flips, shapes = set(), set()
    for trial in range(12):
        np.random.seed(trial)
        sample = dataset[trial % len(NAMES)]
        img = sample['inputs'].permute(1, 2, 0).numpy().astype(np.int64)
        label = sample['data_samples'].gt_sem_seg.data[0].numpy()
        flips.add(sample['data_samples'].flip)
        shapes.add(sample['data_samples'].img_shape)
        assert img.shape[:2] == label.shape
        # The colour of every labelled pixel is its label's colour (up to
        # bilinear blending on the edges of the blocks).
        colours = np.stack([palette_bgr[v] for v in (0, 1, 2, 255)])
        nearest = np.array([0, 1, 2, 255])[np.argmin(
            np.abs(img[:, :, None, :] - colours[None, None]).sum(-1), axis=-1)]
        assert (nearest == label).mean() > 0.9, trial
    assert flips == {True, False}
    assert len(shapes) > 1


def test_missing_relation_labels_are_named(tmp_path):
    root = str(tmp_path / 'data')
    rel = _write_root(root, with_labels=['a', 'c'])
    with pytest.raises(FileNotFoundError) as err:
        _dataset(root, rel, TRAIN_PIPELINE)
    msg = str(err.value)
    assert '2 of 4' in msg and 'b, d' in msg and rel in msg


def _cam_arrays(keys, size, stride=4, cam_size=None):
    h, w = size
    ch, cw = cam_size or (-(-h // stride), -(-w // stride))
    return {
        'keys': np.asarray(keys, np.int64),
        'cam': np.random.rand(len(keys), ch, cw).astype(np.float32),
        'high_res': np.random.rand(len(keys), h, w).astype(np.float32),
    }


def _cam_file(path, keys, size, stride=4, cam_size=None):
    """A CAM file ``NAME.npz`` (the project's format)."""
    with open(path, 'wb') as f:
        np.savez(f, **_cam_arrays(keys, size, stride, cam_size))


def _results(tmp_path, name='im', size=(13, 18), gt_label=(1, 0)):
    return dict(
        img_path=str(tmp_path / f'{name}.jpg'),
        img_id=name,
        img=np.zeros(size + (3, ), np.uint8),
        img_shape=size,
        ori_shape=size,
        gt_label=np.asarray(gt_label, np.float32))


def test_load_cam_and_pack(tmp_path):
    _cam_file(tmp_path / 'im.npz', [0], (13, 18))
    results = LoadCAMFromFile(str(tmp_path))(_results(tmp_path))
    assert results['cam'].shape == (1, 4, 5)
    assert results['cam_keys'].tolist() == [0]
    packed = PackCAMInputs()(results)
    sample = packed['data_samples']
    assert sample.cam.dtype == torch.float32 and sample.cam.shape == (1, 4, 5)
    assert sample.cam_keys.dtype == torch.long
    assert sample.gt_label.tolist() == [1.0, 0.0]
    assert sample.img_id == 'im'
    # Built from the registry, as configs do.
    init_default_scope('mmseg')
    assert isinstance(
        TRANSFORMS.build(dict(type='LoadCAMFromFile', cam_dir='x')),
        LoadCAMFromFile)


def test_load_cam_reads_irn_npy(tmp_path):
    """IRN's pickled NAME.npy is read when no NAME.npz exists."""
    arrays = _cam_arrays([0], (13, 18))
    np.save(tmp_path / 'im.npy', arrays, allow_pickle=True)  # IRN's format
    results = LoadCAMFromFile(str(tmp_path))(_results(tmp_path))
    np.testing.assert_array_equal(results['cam'], arrays['cam'])
    assert results['cam_keys'].tolist() == [0]


def test_cam_errors_name_the_file(tmp_path):
    load = LoadCAMFromFile(str(tmp_path))
    path = str(tmp_path / 'im.npz')
    with pytest.raises(FileNotFoundError, match=path):
        load(_results(tmp_path))
    with open(path, 'wb') as f:
        f.write(b'not a numpy file')
    with pytest.raises(ValueError, match=path):
        load(_results(tmp_path))
    _cam_file(path, [1], (13, 18))  # keys of another image
    with pytest.raises(ValueError, match=f"{path}: its keys \\[1\\]"):
        load(_results(tmp_path))
    _cam_file(path, [0], (13, 18), cam_size=(3, 5))  # wrong grid
    with pytest.raises(ValueError, match=f'{path}: "cam" is \\(3, 5\\)'):
        load(_results(tmp_path))
    _cam_file(path, [0], (12, 18))  # high_res of another size
    with pytest.raises(ValueError, match=path):
        load(_results(tmp_path))
    with open(path, 'wb') as f:
        np.savez(f, keys=np.array([0]), high_res=np.random.rand(1, 13, 18))
    with pytest.raises(ValueError, match=f'{path}: missing "cam"'):
        load(_results(tmp_path))
    # Without the key check, keys need not match gt_label.
    _cam_file(path, [1], (13, 18))
    assert LoadCAMFromFile(
        str(tmp_path),
        check_keys=False)(_results(tmp_path))['cam_keys'].tolist() == [1]


def test_pack_cam_inputs_needs_the_cam(tmp_path):
    with pytest.raises(KeyError, match='LoadCAMFromFile'):
        PackCAMInputs()(_results(tmp_path))
