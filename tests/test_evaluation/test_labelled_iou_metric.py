"""LabelledIoUMetric: mmseg's IoU over the samples that have a mask."""
import numpy as np
import pytest
import torch

from mmseg.registry import METRICS


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
    assert len(metric.results) == 2
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
