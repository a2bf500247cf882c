"""Bad inputs of every stage's dataset: a clear error naming the file.

An empty split file (each dataset, train and test), a label map of another
size than its image (masks, relation labels, pseudo-labels), a label PNG in
RGB, a CAM of another dataset's class count.
"""
import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmseg.registry import DATASETS
from rpnet_mmseg.datasets.transforms import LoadCAMFromFile
from rpnet_mmseg.fileio import LabelMapError, cam_path

H, W = 12, 16
CLASSES = ('background', 'a', 'b')
NAMES = ['im_0', 'im_1', 'im_2']
# IRN's training pipeline (relation labels), DeepLab's validation one.
IRN_TRAIN = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(16, 16), ratio_range=(0.5, 1.5),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(8, 8)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
VAL = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def _label(size=(H, W)):
    label = np.zeros(size, np.uint8)
    label[:, :size[1] // 2] = 1
    return label


def _tree(root):
    """Images, palette label maps in labels/, a split; returns paths."""
    for sub in ('JPEGImages', 'labels', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for name in NAMES:
        Image.fromarray(np.full((H, W, 3), 90, np.uint8)).save(
            osp.join(root, 'JPEGImages', name + '.png'))
        Image.fromarray(_label(), mode='P').save(
            osp.join(root, 'labels', name + '.png'))
    split = osp.join(root, 'ImageSets/Segmentation/train.txt')
    with open(split, 'w') as f:
        f.write('\n'.join(NAMES) + '\n')
    return split, osp.join(root, 'labels')


def _pseudo(root, labels, pipeline=VAL, **kwargs):
    init_default_scope('mmseg')
    cfg = dict(
        type='PseudoLabelSegDataset',
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages'),
        img_suffix='.png',
        pseudo_label_dir=labels,
        metainfo=dict(classes=CLASSES),
        pipeline=pipeline)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def _empty(split):
    with open(split, 'w') as f:
        f.write('\n\n')


@pytest.mark.parametrize('test_mode', [False, True])
def test_empty_split_of_the_pseudo_label_dataset(tmp_path, test_mode):
    split, labels = _tree(str(tmp_path))
    _empty(split)
    with pytest.raises(ValueError, match=re.escape(f"'{split}' lists no")):
        _pseudo(str(tmp_path), labels, test_mode=test_mode)


@pytest.mark.parametrize('test_mode', [False, True])
def test_empty_split_of_the_image_level_dataset(tiny_voc, make_dataset,
                                                test_mode):
    split = osp.join(tiny_voc.root, 'ImageSets/Segmentation/empty.txt')
    _empty(split)
    with pytest.raises(ValueError, match=re.escape(f"'{split}' lists no")):
        make_dataset(
            ann_file='ImageSets/Segmentation/empty.txt', test_mode=test_mode)


def test_split_without_a_labelled_image(tiny_voc, make_dataset):
    labels = {
        name: np.zeros(len(tiny_voc.classes) - 1, np.float32)
        for name in list(tiny_voc.train) + list(tiny_voc.val)
    }
    path = osp.join(tiny_voc.root, 'no_positive.npz')
    tiny_voc.save_cls_labels(path, labels)
    with pytest.raises(ValueError, match='no_positive.npz') as info:
        make_dataset(cls_label_file=path)
    assert 'train.txt' in str(info.value)


def test_skip_done_dir_with_every_image_done_is_empty(tmp_path, tiny_voc,
                                                      make_dataset):
    done = tmp_path / 'done'
    done.mkdir()
    for name in tiny_voc.train:
        (done / f'{name}.out').write_bytes(b'x')
    dataset = make_dataset(skip_done_dir=str(done), skip_done_suffix='.out')
    assert len(dataset) == 0


def test_split_whose_label_maps_are_all_missing(tmp_path):
    split, labels = _tree(str(tmp_path))
    empty = tmp_path / 'empty_labels'
    empty.mkdir()
    with pytest.raises(
            FileNotFoundError, match=re.escape(str(empty))) as info:
        _pseudo(str(tmp_path), str(empty), skip_missing=True)
    assert split in str(info.value)


@pytest.mark.parametrize('pipeline', [VAL, IRN_TRAIN],
                         ids=['pseudo_label', 'relation_label'])
def test_label_map_of_another_size(tmp_path, pipeline):
    _, labels = _tree(str(tmp_path))
    bad = osp.join(labels, 'im_1.png')
    Image.fromarray(_label((H, W + 2)), mode='P').save(bad)
    dataset = _pseudo(str(tmp_path), labels, pipeline=pipeline)
    dataset[0]  # the others load
    with pytest.raises(LabelMapError) as info:
        dataset[1]
    msg = str(info.value)
    assert bad in msg and f'{H}x{W + 2}' in msg and f'{H}x{W}' in msg
    assert osp.join('JPEGImages', 'im_1.png') in msg


def test_rgb_label_png_is_refused(tmp_path):
    _, labels = _tree(str(tmp_path))
    bad = osp.join(labels, 'im_2.png')
    colours = np.zeros((H, W, 3), np.uint8)
    colours[_label() == 1] = (128, 0, 0)
    Image.fromarray(colours, mode='RGB').save(bad)
    dataset = _pseudo(str(tmp_path), labels)
    with pytest.raises(LabelMapError, match='RGB') as info:
        dataset[2]
    assert bad in str(info.value) and f'({H}, {W}, 3)' in str(info.value)


def test_mask_of_another_size_in_the_image_level_dataset(
        tiny_voc, make_dataset):
    mask = osp.join(tiny_voc.root, 'SegmentationClass', 'img_00.png')
    Image.fromarray(np.zeros((5, 7), np.uint8), mode='P').save(mask)
    dataset = make_dataset(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadOptionalAnnotations'),
        dict(type='PackImageLevelInputs')
    ])
    index = [d['img_id'] for d in dataset.load_data_list()].index('img_00')
    with pytest.raises(LabelMapError, match='img_00.png.*5x7'):
        dataset[index]


def test_cam_of_another_class_count(tmp_path):
    """A CAM whose keys index classes the dataset does not have."""
    path = cam_path(str(tmp_path), 'im')
    with open(path, 'wb') as f:
        np.savez(
            f,
            keys=np.array([0, 4]),
            cam=np.random.rand(2, 4, 5).astype(np.float32),
            high_res=np.random.rand(2, 13, 18).astype(np.float32))
    results = dict(
        img_path=str(tmp_path / 'im.jpg'),
        img_id='im',
        img=np.zeros((13, 18, 3), np.uint8),
        img_shape=(13, 18),
        ori_shape=(13, 18),
        gt_label=np.array([1, 0, 0], np.float32))
    for check_keys in (True, False):
        with pytest.raises(ValueError,
                           match=re.escape(f'{path}: its keys [0, 4]')):
            LoadCAMFromFile(str(tmp_path), check_keys=check_keys)(results)
