"""tools/run_demo.py: the pipeline's small decisions, on tiny files."""
import importlib.util
import json
import os.path as osp
import sys
import threading

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def run_demo():
    sys.path.insert(0, REPO)
    try:
        spec = importlib.util.spec_from_file_location(
            'run_demo', osp.join(REPO, 'tools', 'run_demo.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


@pytest.mark.parametrize('t', [0.15, 0.3, 0.5, 0.7])
def test_walked_background_equals_the_cam_at_t(run_demo, t):
    power = run_demo.walked_bg_power(t)
    assert (1 - t)**power == pytest.approx(t)
    # Below t the background wins, above it the class.
    assert (1 - (t - 0.05))**power > t - 0.05
    assert (1 - (t + 0.05))**power < t + 0.05


def test_walked_bg_power_rejects_bad_thresholds(run_demo):
    for t in (0.0, 1.0, -0.2):
        with pytest.raises(ValueError, match='background threshold'):
            run_demo.walked_bg_power(t)


def test_label_dir_miou_by_hand(run_demo, tmp_path):
    root = tmp_path / 'data'
    (root / 'SegmentationClass').mkdir(parents=True)
    labels = tmp_path / 'labels'
    labels.mkdir()
    mask = np.array([[0, 0, 1, 1], [0, 0, 1, 255]], np.uint8)
    pred = np.array([[0, 1, 1, 1], [0, 0, 0, 3]], np.uint8)
    Image.fromarray(mask).save(root / 'SegmentationClass' / 'a.png')
    Image.fromarray(pred).save(labels / 'a.png')
    split = tmp_path / 'split.txt'
    split.write_text('a\n')
    demo = run_demo.Demo(osp.relpath(root, REPO), 'unused')
    got = run_demo.label_dir_miou(demo, osp.relpath(labels, REPO),
                                  osp.relpath(split, REPO), num_classes=4)
    # background: 3 / (4 + 4 - 3) ; class 1: 2 / (3 + 3 - 2); the void
    # pixel is not counted, so class 3 never occurs.
    assert got == pytest.approx(100 * (3 / 5 + 2 / 4) / 2)


def test_cross_validated_miou_uses_the_other_half(run_demo):
    halves = [
        dict(best_threshold=0.3, sweep={'0.30': 60.0, '0.40': 50.0}),
        dict(best_threshold=0.4, sweep={'0.30': 40.0, '0.40': 45.0}),
    ]
    # t from half 0 (0.30) scored on half 1 (40), t from half 1 (0.40)
    # scored on half 0 (50).
    assert run_demo.cross_validated_miou(halves) == pytest.approx(45.0)


def test_update_summary_keeps_concurrent_entries(run_demo, tmp_path):
    path = str(tmp_path / 'summary.json')

    def add(key):
        for i in range(20):
            run_demo.update_summary(
                path, lambda d, i=i: d.setdefault(key, []).append(i))

    threads = [threading.Thread(target=add, args=(k, )) for k in 'ab']
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(path) as f:
        summary = json.load(f)
    assert summary == {'a': list(range(20)), 'b': list(range(20))}


def test_os32_experiments_change_only_stride_and_crop(run_demo):
    base = run_demo.EXPERIMENTS['baseline']
    os32 = run_demo.EXPERIMENTS['baseline_os32']
    assert base[0] == os32[0] and base[1] == []
    assert 'model.backbone.output_stride=32' in os32[1]
    assert run_demo.EXPERIMENTS['rpnet_os32'][1] == os32[1]
    # Images resized in the same proportion to the crop as the demo's
    # (288 for 192 crops).
    scale = [o for o in os32[1] if o.endswith('.scale=(384,384)')]
    crop = [o for o in os32[1] if o.endswith('.crop_size=(256,256)')]
    assert len(scale) == 1 and len(crop) == 1


def test_skipped_stages_keep_the_time_they_took(run_demo):
    old = dict(seed=0, train_s=518.0, cam_s=320.0, cam_miou=50.0)
    new = dict(seed=0, train_s=0.0, cam_s=0.0, eval_s=41.0, cam_miou=55.0)
    assert run_demo.keep_times([old], new) == dict(
        seed=0, train_s=518.0, cam_s=320.0, eval_s=41.0, cam_miou=55.0)
    assert run_demo.keep_times([], new) == new
