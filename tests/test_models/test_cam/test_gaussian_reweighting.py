import math

import numpy as np
import pytest
import torch

from rpnet_mmseg.models.cam import GaussianReweighting, gaussian_kernel2d


def test_kernel_is_normalised_gaussian_eq_9():
    k = gaussian_kernel2d(3.0, 5)
    assert k.shape == (5, 5)
    assert torch.isclose(k.sum(), torch.tensor(1.0))
    # Ratios follow exp(-(x^2 + y^2) / (2 sigma^2)).
    assert torch.isclose(k[2, 3] / k[2, 2],
                         torch.tensor(math.exp(-1 / 18)), atol=1e-6)
    assert torch.isclose(k[0, 0] / k[2, 2],
                         torch.tensor(math.exp(-8 / 18)), atol=1e-6)
    assert torch.equal(k, k.T)
    with pytest.raises(ValueError, match='odd'):
        gaussian_kernel2d(3.0, 4)


def test_reweighted_features_eq_10_against_numpy():
    torch.manual_seed(0)
    fm = torch.rand(1, 1, 6, 7) * 2 - 1
    feat = torch.rand(1, 3, 6, 7)
    rw = GaussianReweighting(sigma=1.5, kernel_size=3)
    out = rw(feat, fm)
    # Independent computation: clamp, replicate-pad, correlate.
    k = gaussian_kernel2d(1.5, 3).numpy()
    w = np.pad(np.clip(fm[0, 0].numpy(), 0, None), 1, mode='edge')
    smooth = np.array([[(w[y:y + 3, x:x + 3] * k).sum() for x in range(7)]
                       for y in range(6)])
    expected = feat[0].numpy() * smooth[None]
    assert np.allclose(out[0].numpy(), expected, atol=1e-5)


def test_reweighting_options():
    fm = torch.full((1, 1, 4, 4), 0.5)
    feat = torch.rand(1, 2, 4, 4)
    # A constant FM stays constant after smoothing (replicate padding).
    assert torch.allclose(GaussianReweighting()(feat, fm), 0.5 * feat)
    fm = torch.rand(1, 1, 4, 4) - 0.2
    raw = GaussianReweighting(smooth=False)(feat, fm)
    assert torch.allclose(raw, fm.clamp(min=0) * feat)
    rel = GaussianReweighting(smooth=False, max_normalize=True, scale=1.3)
    w = rel.weights(fm)
    assert torch.isclose(w.max(), torch.tensor(1.3))
