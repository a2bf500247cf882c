"""DenseCRFPostProcessor: DeepLab's CRF on the image at ``img_path``.

Toy case: ``tests/crf_toy.py``.
"""
import pytest
import torch
from PIL import Image

from mmseg.registry import MODELS
from rpnet_mmseg.utils import DEEPLAB_CRF_PARAMS

from crf_toy import H, W, agreement, noisy_probs, toy_image


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
