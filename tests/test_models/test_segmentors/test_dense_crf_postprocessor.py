"""DenseCRFPostProcessor: DeepLab's CRF on the image at ``img_path``.

Toy case (as in tests/test_utils/test_dense_crf.py): a dark left part and a
bright right part (edge at column 20); a noisy prediction puts the object
boundary at column 26 and flips random pixels.
"""
import numpy as np
import pytest
import torch
from PIL import Image

from mmseg.registry import MODELS
from rpnet_mmseg.utils import DEEPLAB_CRF_PARAMS

H, W, EDGE = 30, 40, 20
NUM_CLASSES, OBJ = 5, 3


def toy_image():
    img = np.full((H, W, 3), 40, np.uint8)
    img[:, EDGE:] = 215
    return img


def truth():
    lab = np.zeros((H, W), np.int64)
    lab[:, EDGE:] = OBJ
    return lab


def noisy_probs(seed=0):
    """Boundary at column 26 with p = 0.65, 10% of pixels flipped; the
    classes other than 0 and OBJ get almost no mass."""
    rng = np.random.default_rng(seed)
    pred = np.zeros((H, W), np.int64)
    pred[:, 26:] = OBJ
    flip = rng.random((H, W)) < 0.1
    pred[flip] = np.where(pred[flip] == 0, OBJ, 0)
    probs = np.full((NUM_CLASSES, H, W), 1e-4, np.float32)
    other = np.where(pred == 0, OBJ, 0)
    rows, cols = np.indices((H, W))
    probs[pred, rows, cols] = 0.65
    probs[other, rows, cols] = 1 - 0.65 - 3e-4
    return probs, pred


def agreement(label):
    return float((label == truth()).mean())


def _save_image(tmp_path):
    path = str(tmp_path / 'toy.png')
    Image.fromarray(toy_image()).save(path)
    return path


def test_postprocessor_reads_the_original_image(tmp_path):
    path = _save_image(tmp_path)
    crf = MODELS.build(dict(type='DenseCRFPostProcessor'))
    probs, _ = noisy_probs()
    out = crf(torch.from_numpy(probs), path)
    assert isinstance(out, torch.Tensor) and out.shape == probs.shape
    assert agreement(out.argmax(0).numpy()) > 0.97
    with pytest.raises(ValueError, match='toy.png'):
        crf(torch.from_numpy(probs[:, :10]), path)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        crf(torch.from_numpy(probs), str(tmp_path / 'missing.png'))


def test_relabel_is_the_argmax_of_the_marginals(tmp_path):
    path = _save_image(tmp_path)
    crf = MODELS.build(dict(type='DenseCRFPostProcessor'))
    probs = torch.from_numpy(noisy_probs()[0])
    labels = crf.relabel(probs, path)
    assert labels.dtype == torch.long and labels.shape == (H, W)
    assert torch.equal(labels, crf(probs, path).argmax(0))
    with pytest.raises(ValueError, match='toy.png'):
        crf.relabel(probs[:, :10], path)
    with pytest.raises(ValueError, match='no img_path'):
        crf.relabel(probs, None)


def test_parameters_override_deeplabs():
    assert MODELS.build(dict(type='DenseCRFPostProcessor')).crf_cfg == \
        DEEPLAB_CRF_PARAMS
    crf = MODELS.build(dict(type='DenseCRFPostProcessor', num_iters=5))
    assert crf.crf_cfg == dict(DEEPLAB_CRF_PARAMS, num_iters=5)
    assert repr(crf).startswith('DenseCRFPostProcessor(num_iters=5, ')
    with pytest.raises(ValueError, match='num_iters must be >= 1'):
        MODELS.build(dict(type='DenseCRFPostProcessor', num_iters=0))
    with pytest.raises(KeyError, match='gt_prob'):
        MODELS.build(dict(type='DenseCRFPostProcessor', gt_prob=0.7))
