"""Tests of PackImageLevelInputs on a real mmseg pipeline."""
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmseg.registry import DATASETS, TRANSFORMS
from mmseg.structures import SegDataSample

from rpnet_mmseg.datasets import PackImageLevelInputs

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(64, 48),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]


def _dataset_cfg(tiny_voc, pipeline, **kwargs):
    cfg = dict(
        type='ImageLevelSegDataset',
        data_root=tiny_voc.root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=tiny_voc.metainfo,
        pipeline=pipeline)
    cfg.update(kwargs)
    return cfg


def test_registered():
    assert TRANSFORMS.get('PackImageLevelInputs') is PackImageLevelInputs
    assert 'img_id' in PackImageLevelInputs().meta_keys


def test_train_pipeline(tiny_voc):
    np.random.seed(0)
    dataset = DATASETS.build(_dataset_cfg(tiny_voc, TRAIN_PIPELINE))
    for idx in range(len(dataset)):
        packed = dataset[idx]
        inputs, sample = packed['inputs'], packed['data_samples']
        assert isinstance(inputs, torch.Tensor)
        assert inputs.shape[0] == 3
        assert max(inputs.shape[1:]) <= 32
        assert isinstance(sample, SegDataSample)
        expected = dataset.get_data_info(idx)['gt_label']
        assert sample.gt_label.dtype == torch.float32
        assert torch.equal(sample.gt_label, torch.from_numpy(expected))
        assert 'gt_label' in sample.keys()  # a data field, not metainfo
        assert sample.img_id == dataset.get_data_info(idx)['img_id']
        assert sample.metainfo['img_path'].endswith(sample.img_id + '.jpg')
        assert 'gt_sem_seg' not in sample


def test_paired_pipeline_with_masks(tiny_voc):
    np.random.seed(1)
    pipeline = TRAIN_PIPELINE[:1] + [dict(type='LoadAnnotations')
                                     ] + TRAIN_PIPELINE[1:]
    dataset = DATASETS.build(
        _dataset_cfg(
            tiny_voc,
            pipeline,
            ann_file='ImageSets/Segmentation/val.txt',
            paired=True))
    query, partner = dataset[0]  # val_00 (cat): its partners have masks
    for packed in (query, partner):
        seg = packed['data_samples'].gt_sem_seg.data
        assert seg.shape[1:] == packed['inputs'].shape[1:]
        values = set(seg.unique().tolist())
        assert values <= {0, 1, 2, 3, 4, 255}
        label = packed['data_samples'].gt_label
        # Every foreground value left after the crop is a labelled class.
        assert all(label[v - 1] == 1 for v in values if 0 < v < 255)
    assert query['data_samples'].gt_label[0] == 1
    assert partner['data_samples'].gt_label[0] == 1


def test_missing_gt_label():
    pack = TRANSFORMS.build(dict(type='PackImageLevelInputs'))
    results = dict(
        img=np.zeros((4, 5, 3), dtype=np.uint8), img_path='a/b/x.jpg')
    with pytest.raises(KeyError, match='gt_label.*x.jpg'):
        pack(results)
    results['gt_label'] = np.array([0, 1], dtype=np.float32)
    packed = Compose([pack])(results)
    assert packed['data_samples'].gt_label.tolist() == [0.0, 1.0]
    assert packed['inputs'].shape == (3, 4, 5)
