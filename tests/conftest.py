"""Shared test set-up: register mmseg's and rpnet_mmseg's modules.

Fixtures used in more than one test folder live here: the demo data
(``msrc_data_root``) and the toy CAMs and masks of the evaluation tests and
of ``tools/eval_cams.py``'s (``toy``, ``voc_root``, ``png_writer``).
"""
import json
import os

os.environ.setdefault('OMP_NUM_THREADS', '2')

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import rpnet_mmseg  # noqa: E402,F401
from mmseg.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)


@pytest.fixture(scope='session')
def msrc_data_root() -> str:
    """The demo's MSRC-VOC at the configs' ``data_root``, ``data/msrc_voc``.

    As ``tools/run_demo.py`` does, ``data/msrc_voc`` (git-ignored) is made a
    link to ``../shared/data/msrc_voc`` when only that exists, so that a
    shipped config run as it is finds the data. Skips the test when there is
    no copy of the data.

    Returns:
        str: Absolute path of the repository's ``data/msrc_voc``.
    """
    from rpnet_mmseg.pipeline import link_demo_data_root
    try:
        return link_demo_data_root()
    except FileNotFoundError as e:
        pytest.skip(f'demo data not found: {str(e).splitlines()[0]}')


# Toy CAMs and masks: image "a" (4 x 4, classes 1 and 2, one void pixel) and
# image "b" (2 x 2, class 2 only, one void pixel); the expected confusion
# matrices are worked out by hand in test_evaluation/test_cam_metric.py.
TOY_CLASSES = ('background', 'cat', 'dog')
TOY_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


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
    flat = [c for rgb in TOY_PALETTE for c in rgb]
    img.putpalette(flat + [224, 224, 192] * (256 - len(TOY_PALETTE)))
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
        json.dumps({'classes': list(TOY_CLASSES), 'palette': TOY_PALETTE}))
    return str(root), str(cam_dir)


@pytest.fixture
def png_writer():
    """The palette PNG writer, for tests that build their own masks."""
    return write_palette_png
