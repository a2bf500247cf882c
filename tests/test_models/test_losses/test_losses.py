import math

import pytest
import torch

from rpnet_mmseg.models.losses import (MultiLabelSoftMarginLoss,
                                       SelfSupervisedLoss)


def test_soft_margin_eq_12_by_hand():
    v = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    u = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])

    def sig(x):
        return 1 / (1 + math.exp(-x))

    total = 0.0
    for i in range(2):
        for c in range(3):
            s = sig(v[i, c].item())
            total -= u[i, c].item() * math.log(s) + (
                1 - u[i, c].item()) * math.log(1 - s)
    expected = total / 6
    loss = MultiLabelSoftMarginLoss(loss_weight=2.0)(v, u)
    assert abs(loss.item() - 2 * expected) < 1e-5
    with pytest.raises(ValueError, match='differ in shape'):
        MultiLabelSoftMarginLoss()(v, u[:, :2])


def test_self_loss_eq_13_mean_and_gradient_direction():
    orig = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)
    enh = torch.tensor([[[[0.0, 2.0], [1.0, 4.0]]]], requires_grad=True)
    loss = SelfSupervisedLoss(loss_weight=10.0)(orig, enh)
    assert torch.isclose(loss, torch.tensor(10.0 * (1 + 4) / 4))
    loss.backward()
    assert enh.grad is None  # the enhanced map is the target
    assert torch.allclose(orig.grad,
                          10.0 * 2 * (orig - enh).detach() / 4)
    s = SelfSupervisedLoss(loss_weight=1.0, reduction='sum')(orig, enh)
    assert torch.isclose(s, torch.tensor(5.0))


def test_self_loss_mask():
    orig = torch.zeros(1, 2, 2, 2)
    enh = torch.ones(1, 2, 2, 2)
    enh[0, 1] = 3.0
    mask = torch.tensor([0.0, 1.0])[None, :, None, None]
    loss = SelfSupervisedLoss(loss_weight=1.0)(orig, enh, mask=mask)
    assert torch.isclose(loss, torch.tensor(9.0))
