"""CAM overlays: one row of panels, width growing with the class count."""
import os

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.visualization import (blend_heatmap, colorize_labels,
                                       draw_cam_overlay, save_cam_overlays)

CLASSES = ['background', 'cat', 'dog', 'cow']
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [0, 0, 128]]
PANEL = 250  # pixels: panel_inches 2.5 x dpi 100


def make_cams(keys, size=(20, 30)):
    rng = np.random.default_rng(0)
    high_res = rng.random((len(keys), ) + size).astype(np.float32)
    return {'keys': np.array(keys, dtype=np.int64), 'high_res': high_res}


def test_width_grows_with_classes():
    image = np.full((20, 30, 3), 90, np.uint8)
    one = draw_cam_overlay(image, make_cams([0]), CLASSES, PALETTE, 0.15)
    two = draw_cam_overlay(image, make_cams([0, 2]), CLASSES, PALETTE, 0.15)
    gt = draw_cam_overlay(
        image, make_cams([0, 2]), CLASSES, PALETTE, 0.15,
        mask=np.zeros((20, 30), np.int64))
    assert one.dtype == np.uint8 and one.ndim == 3 and one.shape[2] == 3
    # photo + K heat maps + label map (+ ground truth)
    assert one.shape[1] == 3 * PANEL
    assert two.shape[1] == 4 * PANEL
    assert gt.shape[1] == 5 * PANEL
    assert one.shape[0] == two.shape[0] == gt.shape[0]


def test_label_panel_uses_palette():
    image = np.full((20, 30, 3), 255, np.uint8)
    cams = {'keys': np.array([2]), 'high_res': np.ones((1, 20, 30))}
    picture = draw_cam_overlay(image, cams, CLASSES, PALETTE, 0.15)
    colours = set(map(tuple, picture.reshape(-1, 3)))
    assert (0, 0, 128) in colours  # class 3 = key 2 + 1
    assert (0, 128, 0) not in colours


def test_size_errors():
    image = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match='does not fit'):
        draw_cam_overlay(image, make_cams([0], (10, 30)), CLASSES, PALETTE,
                         0.1)
    with pytest.raises(ValueError, match='class names'):
        draw_cam_overlay(image, make_cams([3]), CLASSES, PALETTE, 0.1)


def test_blend_and_colorize():
    image = np.zeros((1, 2, 3), np.uint8)
    hot = blend_heatmap(image, np.array([[1.0, 0.0]]), alpha=1.0)
    assert hot[0, 0, 0] > 100 and hot[0, 0, 2] == 0  # jet(1): dark red
    assert hot[0, 1, 2] > 100 and hot[0, 1, 0] == 0  # jet(0): dark blue
    colour = colorize_labels(np.array([[1, 255]]), PALETTE)
    np.testing.assert_array_equal(colour[0], [[128, 0, 0], [224, 224, 192]])
    with pytest.raises(ValueError, match='no colour'):
        colorize_labels(np.array([[9]]), PALETTE)


def test_save_cam_overlays(tmp_path):
    root = tmp_path / 'voc'
    (root / 'JPEGImages').mkdir(parents=True)
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    for name in ('x', 'y', 'z'):
        Image.new('RGB', (30, 20), (40, 80, 120)).save(
            root / 'JPEGImages' / f'{name}.jpg')
        np.savez(cam_dir / f'{name}.npz', **make_cams([0, 1]))
    out = tmp_path / 'overlays'
    paths = save_cam_overlays(
        str(cam_dir), str(root), ['x', 'y', 'z'], str(out), CLASSES,
        PALETTE, 0.15, max_images=2)
    assert paths == [str(out / 'x.png'), str(out / 'y.png')]
    assert sorted(os.listdir(out)) == ['x.png', 'y.png']  # no temp files
    with Image.open(out / 'x.png') as img:
        assert img.format == 'PNG'
        assert img.size[0] == 4 * PANEL
