import pytest
import torch

from mmseg.registry import MODELS
from rpnet_mmseg.models.cam import CAMHead, RPNetHead


def _feats(b=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.rand(b, 4, 16, 16, generator=g),
        torch.rand(b, 6, 8, 8, generator=g),
        torch.rand(b, 8, 4, 4, generator=g),
        torch.rand(b, 10, 4, 4, generator=g),
    ]


def _labels(b=4):
    labels = torch.zeros(b, 3)
    labels[:, 0] = 1
    labels[1, 2] = 1
    return labels


def _head(**kwargs):
    cfg = dict(type='RPNetHead', in_channels=[4, 6, 8, 10], num_classes=3)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_head_builds_from_registry_with_paper_defaults():
    head = _head()
    assert isinstance(head, RPNetHead)
    assert head.in_index == [1, 3] and head.alpha == 0.3 and head.beta == 0.5
    assert head.loss_self.loss_weight == 10.0
    assert head.proj_levels == [1, 3]
    assert _head(in_index=(1, )).proj_levels == [1, 3]


def test_loss_backpropagates_into_projection_and_classifier():
    # Only block 2's prototypes: the max of eq. 8 must pick them, so both the
    # block-2 projection and the last block's projection get gradients.
    torch.manual_seed(0)
    head = _head(in_index=(1, ))
    head.train()
    feats = [f.requires_grad_() for f in _feats()]
    losses = head.loss(feats, _labels())
    assert set(losses) == {'loss_cls', 'loss_self', 'fm_mean'}
    assert all(torch.isfinite(v) for v in losses.values())
    (losses['loss_cls'] + losses['loss_self']).backward()
    for proj in head.activation.projs:
        assert proj.weight.grad is not None
        assert proj.weight.grad.abs().sum() > 0
    assert head.classifier.weight.grad.abs().sum() > 0
    assert feats[-1].grad.abs().sum() > 0


def test_beta_zero_means_no_reweighting():
    # beta = 0 drops every confident position: no prototype, FM = 1, so the
    # enhanced features equal the original ones and L_self vanishes.
    head = _head(beta=0.0)
    head.train()
    feats, labels = _feats(), _labels()
    losses = head.loss(feats, labels)
    assert losses['loss_self'].item() < 1e-10
    assert torch.isclose(losses['fm_mean'], torch.tensor(1.0))
    plain = CAMHead([4, 6, 8, 10], 3)
    plain.classifier.weight.data.copy_(head.classifier.weight.data)
    assert torch.isclose(losses['loss_cls'],
                         plain.loss(feats, labels)['loss_cls'])


def test_beta_one_is_deterministic_and_source_matters():
    torch.manual_seed(0)
    head = _head(beta=1.0)
    head.train()
    feats = _feats()
    fm1, fm2 = head.foreground_map(feats), head.foreground_map(feats)
    assert torch.equal(fm1, fm2)
    head.prototype_source = 'self'
    fm_self = head.foreground_map(feats)
    # With the partner's prototypes the max can only grow.
    assert torch.all(fm1 >= fm_self - 1e-6)
    assert not torch.allclose(fm1, fm_self)


def test_release_variant_losses():
    head = _head(cls_loss_on='original', self_loss_on='cam',
                 reweight=dict(type='GaussianReweighting',
                               max_normalize=True, scale=1.3))
    head.train()
    losses = head.loss(_feats(), _labels())
    plain = CAMHead([4, 6, 8, 10], 3)
    plain.classifier.weight.data.copy_(head.classifier.weight.data)
    assert torch.isclose(losses['loss_cls'],
                         plain.loss(_feats(), _labels())['loss_cls'])
    assert losses['loss_self'] > 0


def test_both_classifies_original_and_enhanced_and_trains_the_branch():
    """The default: L_c on f_N plus L_c on f_N' = G(FM) f_N (eq. 12)."""
    head = _head(cls_loss_on='both', self_loss_on='cam',
                 reweight=dict(type='GaussianReweighting',
                               max_normalize=True, scale=1.3))
    head.train()
    torch.manual_seed(0)
    feats = _feats()
    losses = head.loss(feats, _labels())
    plain = CAMHead([4, 6, 8, 10], 3)
    plain.classifier.weight.data.copy_(head.classifier.weight.data)
    # the original term is exactly the baseline's loss ...
    assert torch.isclose(losses['loss_cls'],
                         plain.loss(feats, _labels())['loss_cls'])
    # ... and the enhanced term scores G(FM) f_N, a different map
    assert not torch.isclose(losses['loss_cls_enh'], losses['loss_cls'])
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    grads = [p.grad for p in head.activation.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(cls_loss_on='neither'), 'cls_loss_on'),
    (dict(self_loss_on='x'), 'self_loss_on'),
    (dict(prototype_source='other'), 'prototype_source'),
    (dict(in_index=()), 'in_index'),
])
def test_bad_options_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _head(**kwargs)


def test_cam_head_cam_is_relu_of_classifier():
    head = CAMHead(10, 3)
    feat = torch.randn(2, 10, 4, 4)
    w = head.classifier.weight[:, :, 0, 0]
    expected = torch.einsum('kc,bchw->bkhw', w, feat).clamp(min=0)
    assert torch.allclose(head.cam(feat), expected, atol=1e-5)
    logits = torch.einsum('kc,bc->bk', w, feat.mean(dim=(2, 3)))
    assert torch.allclose(head([feat]), logits, atol=1e-5)
