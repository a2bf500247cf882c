"""IRN's affinity and displacement losses on hand-worked cases."""
import math

import numpy as np
import pytest
import torch

from rpnet_mmseg.models.losses import AffinityLoss, DisplacementLoss


def _masks():
    # One image, 2 directions, a 1 x 3 grid: 6 pairs.
    bg = torch.tensor([[[[True, False, False]], [[False, False, False]]]])
    fg = torch.tensor([[[[False, True, False]], [[False, False, True]]]])
    neg = torch.tensor([[[[False, False, True]], [[True, False, False]]]])
    return bg, fg, neg


def test_affinity_loss_by_hand():
    aff = torch.tensor([[[[0.9, 0.6, 0.2]], [[0.3, 0.5, 0.8]]]])
    bg, fg, neg = _masks()
    out = AffinityLoss()(aff, bg, fg, neg)
    eps = 1e-5
    # bg pairs: a = 0.9; fg pairs: 0.6, 0.8; neg pairs: 0.2, 0.3.
    bg_pos = -math.log(0.9 + eps) / (1 + eps)
    fg_pos = -(math.log(0.6 + eps) + math.log(0.8 + eps)) / (2 + eps)
    neg_ = -(math.log(1 + eps - 0.2) + math.log(1 + eps - 0.3)) / (2 + eps)
    assert set(out) == {'loss_bg_pos', 'loss_fg_pos', 'loss_neg'}
    assert out['loss_bg_pos'].item() == pytest.approx(0.25 * bg_pos, 1e-6)
    assert out['loss_fg_pos'].item() == pytest.approx(0.25 * fg_pos, 1e-6)
    assert out['loss_neg'].item() == pytest.approx(0.5 * neg_, 1e-6)
    weighted = AffinityLoss(
        bg_pos_weight=1, fg_pos_weight=2, neg_weight=3)(aff, bg, fg, neg)
    assert weighted['loss_fg_pos'].item() == pytest.approx(2 * fg_pos, 1e-6)
    assert weighted['loss_neg'].item() == pytest.approx(3 * neg_, 1e-6)


def test_affinity_loss_valid_mask_and_gradients():
    aff = torch.tensor([[[[0.9, 0.6, 0.2]], [[0.3, 0.5, 0.8]]]],
                       requires_grad=True)
    bg, fg, neg = _masks()
    # Only the first direction's pairs are inside the image.
    valid = torch.tensor([True, False])[:, None, None]
    out = AffinityLoss(1, 1, 1)(aff, bg, fg, neg, valid=valid)
    eps = 1e-5
    assert out['loss_fg_pos'].item() == pytest.approx(
        -math.log(0.6 + eps) / (1 + eps), 1e-6)
    assert out['loss_neg'].item() == pytest.approx(
        -math.log(1 + eps - 0.2) / (1 + eps), 1e-6)
    sum(out.values()).backward()
    grad = aff.grad[0, :, 0]
    # d(-log a)/da = -1/a on positives, d(-log(1-a))/da = 1/(1-a) on
    # negatives, zero on pairs outside the valid mask.
    assert grad[0, 0].item() == pytest.approx(-1 / (0.9 + eps), 1e-4)
    assert grad[0, 2].item() == pytest.approx(1 / (1 + eps - 0.2), 1e-4)
    assert torch.all(grad[1] == 0)


def test_affinity_loss_empty_masks_still_reach_the_graph():
    aff = torch.full((1, 2, 1, 3), 0.5, requires_grad=True)
    none = torch.zeros(1, 2, 1, 3, dtype=torch.bool)
    out = AffinityLoss()(aff, none, none, none)
    assert all(v.item() == 0 for v in out.values())
    sum(out.values()).backward()
    assert aff.grad is not None and torch.all(aff.grad == 0)


def test_affinity_loss_shape_error():
    bg, fg, neg = _masks()
    with pytest.raises(ValueError, match='fg_pos mask'):
        AffinityLoss()(torch.rand(1, 2, 1, 3), bg, fg[..., :2], neg)


def test_displacement_loss_by_hand():
    rng = np.random.default_rng(0)
    disp = rng.normal(size=(1, 2, 2, 1, 3)).astype(np.float32)
    offsets = np.array([[0, 1], [1, -1]], dtype=np.int64)
    bg, fg, _ = _masks()
    out = DisplacementLoss()(torch.from_numpy(disp), torch.from_numpy(offsets),
                             fg, bg)
    fg_vals, bg_vals = [], []
    for d in range(2):
        for x in range(3):
            delta = disp[0, :, d, 0, x]
            if fg[0, d, 0, x]:
                fg_vals.append(np.abs(delta - offsets[d]).mean())
            if bg[0, d, 0, x]:
                bg_vals.append(np.abs(delta).mean())
    eps = 1e-5
    assert out['loss_dp_fg'].item() == pytest.approx(
        0.5 * sum(fg_vals) / (len(fg_vals) + eps), 1e-5)
    assert out['loss_dp_bg'].item() == pytest.approx(
        0.5 * sum(bg_vals) / (len(bg_vals) + eps), 1e-5)


def test_displacement_loss_zero_at_the_centroid_field():
    # Pixels at x = 0, 1, 2 of one object whose centroid is x = 1: the
    # field D(x) = (0, 1 - x) makes every foreground pair exact.
    disp = torch.zeros(1, 2, 1, 1, 3)
    field = torch.tensor([[0., 1.], [0., 0.], [0., -1.]])  # (x, [dy, dx])
    offsets = torch.tensor([[0, 1]])
    for x in range(2):  # pairs (x, x + 1)
        disp[0, :, 0, 0, x] = field[x] - field[x + 1]
    fg = torch.tensor([[[[True, True, False]]]])
    out = DisplacementLoss()(disp, offsets, fg, torch.zeros_like(fg))
    assert out['loss_dp_fg'].item() == pytest.approx(0.0, abs=1e-7)


def test_displacement_loss_shape_errors():
    bg, fg, _ = _masks()
    with pytest.raises(ValueError, match=r'\(B, 2, D, H, W\)'):
        DisplacementLoss()(torch.rand(1, 3, 2, 1, 3), torch.zeros(2, 2), fg,
                           bg)
    with pytest.raises(ValueError, match='offsets'):
        DisplacementLoss()(torch.rand(1, 2, 2, 1, 3), torch.zeros(3, 2), fg,
                           bg)
