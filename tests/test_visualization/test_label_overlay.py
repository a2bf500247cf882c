"""Pseudo-label overlays: panels, files, errors."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.fileio import save_label_png
from rpnet_mmseg.visualization.label_overlay import (draw_label_overlay,
                                                     save_label_overlays)

CLASSES = ('background', 'cat', 'dog')
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def _inputs(h=20, w=30):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (h, w, 3)).astype(np.uint8)
    label = np.zeros((h, w), np.int64)
    label[5:15, 5:12] = 1
    label[0] = 255
    cams = {
        'keys': np.array([0, 1]),
        'high_res': rng.random((2, h, w)).astype(np.float32)
    }
    return image, label, cams


def test_panels_grow_with_what_is_drawn():
    image, label, cams = _inputs()
    bare = draw_label_overlay(image, label, CLASSES, PALETTE)
    full = draw_label_overlay(
        image,
        label,
        CLASSES,
        PALETTE,
        cam_dict=cams,
        relation_label=label,
        mask=label)
    assert bare.dtype == np.uint8 and bare.shape[2] == 3
    # image + label = 2 panels; + 2 CAMs + relation label + mask = 6.
    assert full.shape[1] == pytest.approx(bare.shape[1] * 3, abs=3)


def test_sizes_must_match():
    image, label, cams = _inputs()
    with pytest.raises(ValueError, match='pseudo-label'):
        draw_label_overlay(image, label[:10], CLASSES, PALETTE)
    with pytest.raises(ValueError, match='mask'):
        draw_label_overlay(image, label, CLASSES, PALETTE, mask=label[:, :5])
    cams['keys'] = np.array([0, 5])
    with pytest.raises(ValueError, match='class names'):
        draw_label_overlay(image, label, CLASSES, PALETTE, cam_dict=cams)


def test_save_overlays_and_missing_label(tmp_path):
    image, label, cams = _inputs()
    root = tmp_path / 'data'
    os.makedirs(root / 'JPEGImages')
    os.makedirs(root / 'SegmentationClass')
    names = ['a', 'b', 'c']
    for name in names:
        Image.fromarray(image).save(root / 'JPEGImages' / f'{name}.jpg')
        save_label_png(str(tmp_path / 'pl' / f'{name}.png'), label)
        np.savez(tmp_path / f'{name}.npz', **cams)
    save_label_png(str(root / 'SegmentationClass' / 'a.png'), label)
    written = save_label_overlays(
        str(tmp_path / 'pl'),
        str(root),
        names,
        str(tmp_path / 'out'),
        CLASSES,
        PALETTE,
        cam_dir=str(tmp_path),
        max_images=2)
    assert [osp.basename(p) for p in written] == ['a.png', 'b.png']
    with_mask = np.array(Image.open(written[0]))
    without = np.array(Image.open(written[1]))
    assert with_mask.shape[1] > without.shape[1]  # the mask panel
    os.remove(tmp_path / 'pl' / 'c.png')
    with pytest.raises(FileNotFoundError, match=r'pl/c\.png'):
        save_label_overlays(
            str(tmp_path / 'pl'), str(root), ['c'], str(tmp_path / 'out'),
            CLASSES, PALETTE)
