"""Smoke test on the real msrc_voc benchmark (read only, when present)."""
import json
import os.path as osp

import numpy as np


def test_msrc_voc_train_paired(msrc_data_root):
    from rpnet_mmseg.datasets import ImageLevelSegDataset

    with open(osp.join(msrc_data_root, 'labels.json')) as f:
        meta = json.load(f)
    dataset = ImageLevelSegDataset(
        data_root=msrc_data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=dict(classes=meta['classes'], palette=meta['palette']),
        paired=True,
        pipeline=[dict(type='LoadImageFromFile')])
    assert len(dataset) == 330
    assert dataset.num_fg_classes == 14
    labels = np.stack([
        dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))
    ]) > 0
    assert labels.any(1).all()
    with_mask = sum(
        dataset.get_data_info(i)['seg_map_path'] is not None
        for i in range(len(dataset)))
    assert with_mask == 165  # train_dev masks only
    np.random.seed(0)
    for idx in range(len(dataset)):
        partner = dataset.sample_partner(idx)
        assert (labels[idx] & labels[partner]).any()
    query, partner = dataset[0]
    assert query['img'].ndim == 3 and partner['img'].ndim == 3
    assert ((query['gt_label'] > 0) & (partner['gt_label'] > 0)).any()
