"""Pseudo-label mIoU over the images that have a mask."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from rpnet_mmseg.evaluation.metrics import PseudoLabelIoUMetric

CLASSES = ('background', 'cat', 'dog')


def _sample(name, pred, gt=None):
    ds = SegDataSample(metainfo=dict(img_path=f'{name}.jpg', img_id=name))
    ds.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    if gt is not None:
        ds.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    return ds.to_dict()


def _iou_numpy(preds, gts, num_classes=3, ignore=255):
    conf = np.zeros((num_classes, num_classes), np.int64)
    for p, g in zip(preds, gts):
        keep = g != ignore
        np.add.at(conf, (g[keep], p[keep]), 1)
    tp = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        return tp / union


def test_evaluates_masked_images_and_counts_the_others():
    pred_a = np.array([[0, 1, 1], [0, 2, 2]])
    gt_a = np.array([[0, 1, 0], [255, 2, 1]])
    pred_b = np.array([[2, 2], [0, 0]])
    gt_b = np.array([[2, 0], [0, 0]])
    metric = PseudoLabelIoUMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [_sample('a', pred_a, gt_a), _sample('x', pred_b)])
    metric.process({}, [_sample('b', pred_b, gt_b)])
    out = metric.evaluate(3)
    iou = _iou_numpy([pred_a, pred_b], [gt_a, gt_b])
    assert out['mIoU'] == pytest.approx(round(np.nanmean(iou) * 100, 2))
    assert out['num_with_mask'] == 2 and out['num_without_mask'] == 1


def test_no_mask_at_all_returns_the_counts():
    metric = PseudoLabelIoUMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [_sample('x', np.zeros((2, 2), np.int64))])
    assert metric.evaluate(1) == {'num_with_mask': 0, 'num_without_mask': 1}


def test_size_mismatch_names_the_image():
    metric = PseudoLabelIoUMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    with pytest.raises(ValueError, match=r'a\.jpg.*\(2, 3\).*\(2, 2\)'):
        metric.process({}, [
            _sample('a', np.zeros((2, 3), np.int64), np.zeros(
                (2, 2), np.int64))
        ])
