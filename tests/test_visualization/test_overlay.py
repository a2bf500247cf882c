"""Overlays: panels, colours, size errors and the files written."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.fileio import save_label_png, written_files
from rpnet_mmseg.visualization import (blend_heatmap, colorize_labels,
                                       draw_cam_overlay, draw_label_overlay,
                                       save_cam_overlays, save_label_overlays)

CLASSES = ['background', 'cat', 'dog', 'cow']
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [0, 0, 128]]
PANEL = 250  # pixels: panel_inches 2.5 x dpi 100


def make_cams(keys, size=(20, 30)):
    rng = np.random.default_rng(0)
    high_res = rng.random((len(keys), ) + size).astype(np.float32)
    return {'keys': np.array(keys, dtype=np.int64), 'high_res': high_res}


def label_inputs(h=20, w=30):
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


def test_cam_overlay_width_grows_with_classes():
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


def test_cam_label_panel_uses_palette():
    image = np.full((20, 30, 3), 255, np.uint8)
    cams = {'keys': np.array([2]), 'high_res': np.ones((1, 20, 30))}
    picture = draw_cam_overlay(image, cams, CLASSES, PALETTE, 0.15)
    colours = set(map(tuple, picture.reshape(-1, 3)))
    assert (0, 0, 128) in colours  # class 3 = key 2 + 1
    assert (0, 128, 0) not in colours


def test_cam_overlay_errors():
    image = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match='does not fit'):
        draw_cam_overlay(image, make_cams([0], (10, 30)), CLASSES, PALETTE,
                         0.1)
    with pytest.raises(ValueError, match='class names'):
        draw_cam_overlay(image, make_cams([3]), CLASSES, PALETTE, 0.1)
    # The CAM file format's own checks (validate_cam_dict) apply too.
    cams = make_cams([0])
    cams['high_res'][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        draw_cam_overlay(image, cams, CLASSES, PALETTE, 0.1)


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
    # no temp files; the pictures listed as this project's (a rerun after a
    # kill may delete them)
    assert sorted(n for n in os.listdir(out) if not n.startswith('.')) == [
        'x.png', 'y.png']
    assert written_files(str(out)) == {'x.png', 'y.png'}
    with Image.open(out / 'x.png') as img:
        assert img.format == 'PNG'
        assert img.size[0] == 4 * PANEL


def test_label_overlay_panels_grow_with_what_is_drawn():
    image, label, cams = label_inputs()
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


def test_label_overlay_sizes_must_match():
    image, label, cams = label_inputs()
    with pytest.raises(ValueError, match='pseudo-label'):
        draw_label_overlay(image, label[:10], CLASSES, PALETTE)
    with pytest.raises(ValueError, match='mask'):
        draw_label_overlay(image, label, CLASSES, PALETTE, mask=label[:, :5])
    cams['keys'] = np.array([0, 5])
    with pytest.raises(ValueError, match='class names'):
        draw_label_overlay(image, label, CLASSES, PALETTE, cam_dict=cams)


def test_save_label_overlays_and_missing_label(tmp_path):
    image, label, cams = label_inputs()
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


def test_names_outside_the_folder_are_refused_before_writing(tmp_path):
    """``../x`` would draw ``out/../x.png``: refused before any drawing."""
    image, label, _ = label_inputs()
    root = tmp_path / 'data'
    os.makedirs(root / 'JPEGImages')
    for name in ('a', '../x'):  # root/JPEGImages/../x.jpg is root/x.jpg
        Image.fromarray(image).save(root / 'JPEGImages' / f'{name}.jpg')
        save_label_png(str(tmp_path / 'pl' / 'sub' / f'{name}.png'), label)
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=r"out'.*image name '\.\./x'"):
        save_label_overlays(
            str(tmp_path / 'pl' / 'sub'), str(root), ['a', '../x'], str(out),
            CLASSES, PALETTE)
    assert not out.exists() and not (tmp_path / 'x.png').exists()
