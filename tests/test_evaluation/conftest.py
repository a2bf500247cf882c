"""Toy CAMs and masks shared by the evaluation tests.

Image "a" (4 x 4, classes 1 and 2, one void pixel) and image "b" (2 x 2,
class 2 only, one void pixel); the expected confusion matrices are worked out
by hand in test_cam_metric.py.
"""
import json

import numpy as np
import pytest
from PIL import Image

CLASSES = ('background', 'cat', 'dog')
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def _cams_a() -> dict:
    cat = [[.9, .8, .1, 0.], [.7, .3, 0., 0.], [.2, .1, 0., 0.],
           [0., 0., 0., 0.]]
    dog = [[0., 0., 0., 0.], [0., .4, .6, .9], [0., 0., .3, .8],
           [0., 0., .1, .2]]
    high_res = np.array([cat, dog], dtype=np.float32)
    return {
        'keys': np.array([0, 1], dtype=np.int64),
        'cam': high_res[:, ::2, ::2].copy(),
        'high_res': high_res,
    }


def _cams_b() -> dict:
    high_res = np.array([[[.6, .1], [.9, .12]]], dtype=np.float32)
    return {
        'keys': np.array([1], dtype=np.int64),
        'cam': high_res[:, :1, :1].copy(),
        'high_res': high_res,
    }


MASK_A = np.array([[1, 1, 0, 0], [1, 1, 2, 2], [0, 255, 2, 2], [0, 0, 0, 2]])
MASK_B = np.array([[2, 0], [255, 2]])


@pytest.fixture
def toy():
    """Fresh copies of the toy CAM dicts and masks, keyed by image name."""
    return {
        'a': (_cams_a(), MASK_A.copy()),
        'b': (_cams_b(), MASK_B.copy()),
    }


def write_palette_png(path: str, mask: np.ndarray) -> None:
    """Write ``mask`` as a VOC-style palette PNG (pixel value = class id)."""
    h, w = mask.shape
    img = Image.frombytes('P', (w, h), mask.astype(np.uint8).tobytes())
    flat = [c for rgb in PALETTE for c in rgb]
    img.putpalette(flat + [224, 224, 192] * (256 - len(PALETTE)))
    img.save(path)


@pytest.fixture
def voc_root(tmp_path, toy):
    """A VOC-like folder: images a, b (masks) and c, d (no masks), CAMs."""
    root = tmp_path / 'voc'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    rng = np.random.default_rng(0)
    for name, (cam_dict, mask) in toy.items():
        h, w = mask.shape
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
            root / 'JPEGImages' / f'{name}.jpg')
        write_palette_png(
            str(root / 'SegmentationClass' / f'{name}.png'), mask)
        np.savez(cam_dir / f'{name}.npz', **cam_dict)
    split_dir = root / 'ImageSets' / 'Segmentation'
    (split_dir / 'train_dev.txt').write_text('a\nb\n')
    (split_dir / 'train.txt').write_text('a\nb\nc\nd\n')
    (root / 'labels.json').write_text(
        json.dumps({'classes': list(CLASSES), 'palette': PALETTE}))
    return str(root), str(cam_dir)


@pytest.fixture
def class_info():
    """Class names (background first) and palette of the toy dataset."""
    return list(CLASSES), [list(c) for c in PALETTE]


@pytest.fixture
def png_writer():
    """The palette PNG writer, for tests that build their own masks."""
    return write_palette_png
