"""tools/eval_labels.py: the mIoU of label files on disk."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


def _run(*args):
    return subprocess.run([sys.executable, 'tools/eval_labels.py', *args],
                          cwd=REPO, capture_output=True, text=True)


def test_scores_files_and_halves(tmp_path):
    root, labels = str(tmp_path / 'data'), str(tmp_path / 'labels')
    mask = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 255, 255]])
    good = mask.copy()
    good[2, 2:] = 0  # ignored pixels do not count
    bad = np.zeros_like(mask)  # all background
    for name, pred in (('a', good), ('b', bad)):
        _png(osp.join(root, 'SegmentationClass', name + '.png'), mask)
        _png(osp.join(labels, name + '.png'), pred)
    split = osp.join(root, 'ImageSets', 'Segmentation', 'dev.txt')
    os.makedirs(osp.dirname(split))
    with open(split, 'w') as f:
        f.write('a\nb\nno_mask\n')
    out = str(tmp_path / 'out.json')
    common = ['--label-dir', labels, '--data-root', root, '--split', split,
              '--classes', 'bg', 'x', 'y']
    res = _run(*common, '--part', '0/2', '--out-json', out)
    assert res.returncode == 0, res.stderr[-2000:]
    with open(out) as f:
        report = json.load(f)
    # image a alone (lines 0 and 2; no_mask has no mask): perfect
    assert report['num_images'] == 1 and report['num_without_mask'] == 1
    assert report['mIoU'] == pytest.approx(100.0)
    res = _run(*common, '--part', '1/2', '--out-json', out)
    with open(out) as f:
        report = json.load(f)
    # image b: background IoU 4/10, classes 0
    assert report['per_class_iou'] == pytest.approx(
        {'bg': 40.0, 'x': 0.0, 'y': 0.0})
    os.remove(osp.join(labels, 'a.png'))
    res = _run(*common)
    assert res.returncode != 0 and 'a.png: no label map for a' in res.stderr


def test_a_split_without_masks_is_said_not_failed_when_optional(tmp_path):
    root, labels = str(tmp_path / 'data'), str(tmp_path / 'labels')
    _png(osp.join(labels, 'a.png'), np.zeros((2, 2)))
    split = osp.join(root, 'dev.txt')
    os.makedirs(root)
    with open(split, 'w') as f:
        f.write('a\n')
    common = ['--label-dir', labels, '--data-root', root, '--split', split,
              '--classes', 'bg', 'x']
    proc = _run(*common)
    assert proc.returncode != 0 and 'has a mask' in proc.stderr
    out = str(tmp_path / 'out.json')
    proc = _run(*common, '--masks', 'optional', '--out-json', out)
    assert proc.returncode == 0, proc.stderr
    assert 'no mIoU' in proc.stdout + proc.stderr
    with open(out) as f:
        report = json.load(f)
    assert report['mIoU'] is None and report['num_without_mask'] == 1
