"""LabelledIoUMetric: mmseg's IoU over the samples that have a mask
(predictions; pseudo-labels with allow_no_mask=True)."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.registry import METRICS
from mmseg.structures import SegDataSample


def _sample(pred, gt=None):
    s = dict(pred_sem_seg=dict(data=torch.as_tensor(pred)[None]),
             img_path='x.png')
    if gt is not None:
        s['gt_sem_seg'] = dict(data=torch.as_tensor(gt)[None])
    return s


def test_skips_unlabelled_samples_and_matches_a_hand_count():
    metric = METRICS.build(dict(type='LabelledIoUMetric'))
    metric.dataset_meta = dict(classes=('bg', 'a', 'b'))
    pred1 = np.array([[0, 1], [1, 2]])
    gt1 = np.array([[0, 1], [2, 2]])
    pred2 = np.array([[1, 1], [0, 0]])
    gt2 = np.array([[1, 255], [0, 1]])
    metric.process({}, [_sample(pred1, gt1), _sample(np.full((2, 2), 2))])
    metric.process({}, [_sample(pred2, gt2)])
    # the unlabelled sample keeps its place (distributed padding is
    # dropped by position) but is not counted
    assert sum(r is not None for r in metric.results) == 2
    res = metric.evaluate(size=3)
    # Hand count over the labelled pixels (255 ignored):
    # bg: inter 2 (p1 (0,0), p2 (1,0)), union 3 (+ p2 (1,1) pred bg gt a)
    # a : inter 2, union 4 ; b : inter 1, union 2
    expected = np.mean([2 / 3, 2 / 4, 1 / 2]) * 100
    assert res['mIoU'] == pytest.approx(round(expected, 2), abs=0.01)


def test_no_labelled_sample_is_an_error():
    metric = METRICS.build(dict(type='LabelledIoUMetric'))
    metric.dataset_meta = dict(classes=('bg', 'a'))
    metric.process({}, [_sample(np.zeros((2, 2), np.int64))])
    with pytest.raises(ValueError, match='no test sample'):
        metric.evaluate(size=1)


# allow_no_mask=True: the pseudo-labels of a split of which some (or no)
# images have a mask.
CLASSES = ('background', 'cat', 'dog')


def _named_sample(name, pred, gt=None):
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


def _pseudo_label_metric():
    metric = METRICS.build(dict(type='LabelledIoUMetric', allow_no_mask=True))
    metric.dataset_meta = dict(classes=CLASSES)
    return metric


def test_evaluates_masked_images_and_counts_the_others():
    pred_a = np.array([[0, 1, 1], [0, 2, 2]])
    gt_a = np.array([[0, 1, 0], [255, 2, 1]])
    pred_b = np.array([[2, 2], [0, 0]])
    gt_b = np.array([[2, 0], [0, 0]])
    metric = _pseudo_label_metric()
    metric.process({}, [_named_sample('a', pred_a, gt_a),
                        _named_sample('x', pred_b)])
    metric.process({}, [_named_sample('b', pred_b, gt_b)])
    out = metric.evaluate(3)
    iou = _iou_numpy([pred_a, pred_b], [gt_a, gt_b])
    assert out['mIoU'] == pytest.approx(round(np.nanmean(iou) * 100, 2))
    assert out['num_with_mask'] == 2 and out['num_without_mask'] == 1


def test_no_mask_at_all_returns_the_counts():
    metric = _pseudo_label_metric()
    metric.process({}, [_named_sample('x', np.zeros((2, 2), np.int64))])
    assert metric.evaluate(1) == {'num_with_mask': 0, 'num_without_mask': 1}


def test_size_mismatch_names_the_image():
    metric = _pseudo_label_metric()
    with pytest.raises(ValueError, match=r'a\.jpg.*\(2, 3\).*\(2, 2\)'):
        metric.process({}, [
            _named_sample('a', np.zeros((2, 3), np.int64),
                          np.zeros((2, 2), np.int64))
        ])
