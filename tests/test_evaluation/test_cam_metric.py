"""CAM mIoU: confusion matrices worked out by hand on the toy images.

Toy image "a" (keys [0, 1] -> classes 1 = cat, 2 = dog; see
``tests/conftest.py``)::

    cat CAM            dog CAM            mask
    .9 .8 .1  0        0  0  0  0         1 1 0 0
    .7 .3  0  0        0 .4 .6 .9         1 1 2 2
    .2 .1  0  0        0  0 .3 .8         0 X 2 2      X = 255
     0  0  0  0        0  0 .1 .2         0 0 0 2

Label = class with the largest score among (t, cat, dog), background on a
tie. By hand:

    t = 0.05           t = 0.15           t = 0.5
    1 1 1 0            1 1 0 0            1 1 0 0
    1 2 2 2            1 2 2 2            1 0 2 2
    1 - 2 2            1 - 2 2            0 - 0 2
    0 0 2 2            0 0 0 2            0 0 0 0

Image "b" (key [1] -> dog): CAM [[.6, .1], [.9, .12]], mask [[2, 0], [X, 2]]
-> labels [[2, 2], [-, 2]] at t = 0.05 and [[2, 0], [-, 0]] at 0.15 / 0.5.
"""
import os

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

from rpnet_mmseg.evaluation import (CAMIoUMetric, CAMWriter, class_iou_acc,
                                    label_areas)
from rpnet_mmseg.evaluation.metrics import (DEFAULT_THRESHOLDS, cam_areas,
                                            cam_label_map)

THRESHOLDS = (0.05, 0.15, 0.5)
# Rows: ground truth, columns: prediction (classes 0, 1, 2).
CONF_A = np.array([
    [[3, 2, 1], [0, 3, 1], [0, 0, 5]],  # t = 0.05
    [[5, 1, 0], [0, 3, 1], [0, 0, 5]],  # t = 0.15
    [[6, 0, 0], [1, 3, 0], [2, 0, 3]],  # t = 0.5
])
CONF_B = np.array([
    [[0, 0, 1], [0, 0, 0], [0, 0, 2]],
    [[1, 0, 0], [0, 0, 0], [1, 0, 1]],
    [[1, 0, 0], [0, 0, 0], [1, 0, 1]],
])
# IoU = TP / (TP + FP + FN) per class, summed confusion of a and b.
MIOU_AB = {
    0.05: (3 / 7 + 3 / 6 + 7 / 10) / 3,
    0.15: (6 / 8 + 3 / 5 + 6 / 8) / 3,
    0.5: (7 / 11 + 3 / 4 + 4 / 7) / 3,
}


def hand_areas(conf):
    """Intersection, union, prediction, ground truth of hand confusions."""
    conf = np.asarray(conf)
    out = []
    for c in conf.reshape(-1, *conf.shape[-2:]):
        tp = np.array([c[i, i] for i in range(len(c))])
        gt, pred = c.sum(1), c.sum(0)
        out.append([tp, gt + pred - tp, pred, gt])
    return np.array(out).reshape(conf.shape[:-2] + (4, conf.shape[-1]))


def hand_miou(conf):
    """mIoU per threshold of summed hand confusions, by the IoU formula."""
    res = []
    for c in conf:
        ious = [
            c[i, i] / (c[i].sum() + c[:, i].sum() - c[i, i])
            for i in range(len(c)) if c[i].sum() + c[:, i].sum() > 0
        ]
        res.append(sum(ious) / len(ious))
    return res


def test_default_thresholds():
    assert len(DEFAULT_THRESHOLDS) == 12
    assert DEFAULT_THRESHOLDS[0] == 0.05 and DEFAULT_THRESHOLDS[-1] == 0.6
    assert 0.15 in DEFAULT_THRESHOLDS


def test_ignore_index_excluded(toy):
    cam_dict, mask = toy['a']
    areas = cam_areas(cam_dict, mask, 3, THRESHOLDS)
    assert (areas[:, 3].sum(-1) == 15).all()  # 16 pixels, 1 void
    mask[mask == 255] = 0  # now counted: cat 0.1 -> label 1 at t = 0.05
    conf = CONF_A.copy()
    conf[0, 0, 1] += 1
    conf[1, 0, 0] += 1
    conf[2, 0, 0] += 1
    np.testing.assert_array_equal(
        cam_areas(cam_dict, mask, 3, THRESHOLDS), hand_areas(conf))


def test_tie_goes_to_background():
    # float32 0.3 equals t = 0.3 once t is cast to the CAM's dtype (IRN pads
    # t into the float32 CAM array before the argmax).
    cams = np.array([[[0.3, 0.31]]], dtype=np.float32)
    labels = cam_label_map(cams, np.array([4]), 0.3)
    np.testing.assert_array_equal(labels, [[0, 5]])


def test_class_iou_by_hand():
    iou, acc = class_iou_acc(hand_areas(CONF_A[1]))
    np.testing.assert_allclose(iou, [5 / 6, 3 / 5, 5 / 6])
    np.testing.assert_allclose(acc, [5 / 6, 3 / 4, 5 / 5])
    # Class 3 neither in ground truth nor predicted: NaN, left out of mIoU.
    conf = np.zeros((4, 4), np.int64)
    conf[:3, :3] = CONF_A[2]
    iou, _ = class_iou_acc(hand_areas(conf))
    assert np.isnan(iou[3])
    assert np.nanmean(iou) == pytest.approx((6 / 9 + 3 / 4 + 3 / 5) / 3)
    # Predicted but absent from ground truth: IoU 0, counted.
    conf[3, 3], conf[0, 3] = 0, 2
    assert class_iou_acc(hand_areas(conf))[0][3] == 0
    # any leading shape: [T, 4, C] -> [T, C]
    assert class_iou_acc(hand_areas(CONF_A))[0].shape == (3, 3)


def test_label_areas_are_mmseg_counts():
    pred = np.array([[0, 1], [1, 2]])
    mask = np.array([[0, 1], [2, 255]])
    np.testing.assert_array_equal(
        label_areas(pred, mask, 3),
        [[1, 1, 0], [1, 2, 1], [1, 2, 0], [1, 1, 1]])


def test_shape_and_range_errors(toy):
    cam_dict, mask = toy['a']
    with pytest.raises(ValueError, match='a.npy.*mask'):
        cam_areas(cam_dict, mask[:3], 3, THRESHOLDS, name='a.npy')
    with pytest.raises(ValueError, match='do not fit 2 classes'):
        cam_areas(cam_dict, mask, 2, THRESHOLDS)
    mask[0, 0] = 7
    with pytest.raises(ValueError, match='outside'):
        cam_areas(cam_dict, mask, 3, THRESHOLDS)


def _sample(name, seg_map_path=None, gt=None, with_cam=None):
    sample = SegDataSample(
        metainfo=dict(
            img_id=name,
            img_path=f'/data/JPEGImages/{name}.jpg',
            seg_map_path=seg_map_path,
            ori_shape=None if with_cam is None else
            tuple(with_cam['high_res'].shape[1:])))
    if gt is not None:
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    if with_cam is not None:
        sample.set_data({
            'cam_keys': torch.from_numpy(with_cam['keys']),
            'cam': torch.from_numpy(with_cam['cam']),
            'high_res': torch.from_numpy(with_cam['high_res']),
        })
    return sample


def test_metric_sweep_and_best(tmp_path, toy, png_writer):
    for name, (cam_dict, mask) in toy.items():
        np.savez(tmp_path / f'{name}.npz', **cam_dict)
        png_writer(str(tmp_path / f'{name}.png'), mask)
    metric = CAMIoUMetric(str(tmp_path), thresholds=THRESHOLDS)
    metric.dataset_meta = dict(classes=('background', 'cat', 'dog'))
    samples = [
        _sample(n, seg_map_path=str(tmp_path / f'{n}.png')).to_dict()
        for n in toy
    ]
    metric.process(None, samples)
    assert len(metric.results) == 1  # one running sum per rank
    np.testing.assert_array_equal(metric.results[0]['areas'],
                                  hand_areas(CONF_A + CONF_B))
    result = metric.evaluate(2)
    assert result['best_threshold'] == 0.15
    assert result['mIoU'] == pytest.approx(MIOU_AB[0.15] * 100, abs=0.005)
    for t, miou in MIOU_AB.items():
        key = f'mIoU@{t:.2f}'
        assert result[key] == pytest.approx(miou * 100, abs=0.005)


def test_metric_reads_gt_sem_seg_and_num_classes(tmp_path, toy):
    cam_dict, mask = toy['a']
    np.savez(tmp_path / 'a.npz', **cam_dict)
    # No dataset_meta: num_classes given; mask from gt_sem_seg, no path.
    metric = CAMIoUMetric(str(tmp_path), thresholds=(0.5, ), num_classes=3)
    metric.process(None, [_sample('a', gt=mask).to_dict()])
    np.testing.assert_array_equal(metric.results[0]['areas'],
                                  hand_areas(CONF_A[2:]))


def test_metric_missing_masks_listed(tmp_path, toy, png_writer):
    png_writer(str(tmp_path / 'a.png'), toy['a'][1])
    metric = CAMIoUMetric(str(tmp_path), num_classes=3)
    samples = [_sample('a', str(tmp_path / 'a.png')).to_dict()] + [
        _sample(f'nomask{i}', None).to_dict() for i in range(12)
    ] + [_sample('gone', str(tmp_path / 'gone.png')).to_dict()]
    with pytest.raises(FileNotFoundError) as info:
        metric.process(None, samples)
    msg = str(info.value)
    assert msg.startswith('13 image(s) have no ground-truth mask')
    assert 'nomask0, nomask1' in msg and '(3 more)' in msg
    assert 'train_dev' in msg
    assert metric.results == []


def test_metric_missing_cam_file(tmp_path, toy, png_writer):
    png_writer(str(tmp_path / 'a.png'), toy['a'][1])
    metric = CAMIoUMetric(str(tmp_path / 'cams'), num_classes=3)
    with pytest.raises(FileNotFoundError, match='cams/a.npz'):
        metric.process(None, [_sample('a', str(tmp_path / 'a.png'))])


def test_metric_needs_num_classes(tmp_path, toy):
    np.savez(tmp_path / 'a.npz', **toy['a'][0])
    metric = CAMIoUMetric(str(tmp_path))
    with pytest.raises(ValueError, match='num_classes'):
        metric.process(None, [_sample('a', gt=toy['a'][1])])


def test_registered_in_mmseg(tmp_path):
    metric = METRICS.build(dict(type='CAMIoUMetric', cam_dir='x'))
    assert isinstance(metric, CAMIoUMetric)
    assert metric.thresholds == DEFAULT_THRESHOLDS
    assert METRICS.build(dict(type='CAMIoUMetric')).cam_dir is None
    out = tmp_path / 'x_out'
    assert isinstance(
        METRICS.build(dict(type='CAMWriter', output_dir=str(out))), CAMWriter)
    assert not out.exists()  # created when the run checks it, not on build


def test_writer_then_metric_through_evaluator(tmp_path, toy, png_writer):
    """CAMWriter writes a batch's files, then CAMIoUMetric reads them."""
    cam_dir = tmp_path / 'cams'
    for name, (_, mask) in toy.items():
        png_writer(str(tmp_path / f'{name}.png'), mask)
    evaluator = Evaluator([
        CAMWriter(str(cam_dir)),
        CAMIoUMetric(str(cam_dir), thresholds=THRESHOLDS, prefix='cam'),
    ])
    evaluator.dataset_meta = dict(
        classes=('background', 'cat', 'dog'),
        palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0]])
    for name, (cam_dict, _) in toy.items():
        evaluator.process([
            _sample(
                name, str(tmp_path / f'{name}.png'), with_cam=cam_dict)
        ])
    result = evaluator.evaluate(2)
    assert result['num_written'] == 2 and result['num_skipped'] == 0
    assert result['cam/best_threshold'] == 0.15
    assert result['cam/mIoU'] == pytest.approx(70.0)
    assert result['cam/mIoU@0.05'] == pytest.approx(
        MIOU_AB[0.05] * 100, abs=0.005)


def test_areas_by_hand_match_mmseg_counts(toy):
    for name, expected in (('a', CONF_A), ('b', CONF_B)):
        cam_dict, mask = toy[name]
        areas = cam_areas(cam_dict, mask, 3, THRESHOLDS)
        assert areas.dtype == np.int64
        np.testing.assert_array_equal(areas, hand_areas(expected))


def test_results_stay_bounded(tmp_path, toy):
    """One running sum per rank, however many images are scored."""
    metric = CAMIoUMetric(thresholds=THRESHOLDS, num_classes=3)
    for i in range(40):
        cam_dict, mask = toy['ab'[i % 2]]
        metric.process(None, [
            _sample(f'im{i}', gt=mask, with_cam=cam_dict).to_dict()
        ])
        assert len(metric.results) == 1
    np.testing.assert_array_equal(metric.results[0]['areas'],
                                  hand_areas(20 * (CONF_A + CONF_B)))
    result = metric.evaluate(40)
    expected = hand_miou(20 * (CONF_A + CONF_B))
    for t, miou in zip(THRESHOLDS, expected):
        assert result[f'mIoU@{t:.2f}'] == pytest.approx(miou * 100, abs=0.005)


def test_in_memory_scores_the_model_outputs(tmp_path, toy, png_writer):
    """cam_dir=None: the sample's own high_res, no file anywhere."""
    metric = CAMIoUMetric(thresholds=THRESHOLDS)
    metric.dataset_meta = dict(classes=('background', 'cat', 'dog'))
    cam_a, mask_a = toy['a']
    cam_b, mask_b = toy['b']
    png_writer(str(tmp_path / 'b.png'), mask_b)
    metric.process(None, [
        _sample('a', gt=mask_a, with_cam=cam_a).to_dict(),  # gt_sem_seg
        _sample('b', str(tmp_path / 'b.png'), with_cam=cam_b),  # mask file
    ])
    assert sorted(os.listdir(tmp_path)) == ['b.png']
    np.testing.assert_array_equal(metric.results[0]['areas'],
                                  hand_areas(CONF_A + CONF_B))
    result = metric.evaluate(2)
    assert result['best_threshold'] == 0.15
    for t, miou in MIOU_AB.items():
        assert result[f'mIoU@{t:.2f}'] == pytest.approx(miou * 100, abs=0.005)


def test_in_memory_needs_cam_fields(toy):
    metric = CAMIoUMetric(num_classes=3)
    with pytest.raises(ValueError, match='a.*cam_keys.*cam_dir'):
        metric.process(None, [_sample('a', gt=toy['a'][1])])
    cam_dict = dict(toy['a'][0])
    with pytest.raises(ValueError, match=r'a.*\(4, 4\).*\(2, 2\)'):
        metric.process(None, [
            _sample('a', gt=toy['b'][1], with_cam=cam_dict).to_dict()
        ])


def test_sampler_padding_counted_once(toy):
    """Two ranks over [a, b, c]: rank 1 repeats a, rank 0's first image."""
    cam_a, mask_a = toy['a']
    cam_b, mask_b = toy['b']
    rank0 = CAMIoUMetric(thresholds=THRESHOLDS, num_classes=3)
    rank1 = CAMIoUMetric(thresholds=THRESHOLDS, num_classes=3)
    rank0.process(None, [_sample('a', gt=mask_a, with_cam=cam_a).to_dict()])
    rank0.process(None, [_sample('c', gt=mask_a, with_cam=cam_a).to_dict()])
    rank1.process(None, [_sample('b', gt=mask_b, with_cam=cam_b).to_dict()])
    rank1.process(None, [_sample('a', gt=mask_a, with_cam=cam_a).to_dict()])
    result = rank0.compute_metrics(rank0.results + rank1.results)
    expected = hand_miou(2 * CONF_A + CONF_B)
    for t, miou in zip(THRESHOLDS, expected):
        assert result[f'mIoU@{t:.2f}'] == pytest.approx(miou * 100, abs=0.005)
