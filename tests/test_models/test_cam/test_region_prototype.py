import pytest
import torch

from rpnet_mmseg.models.cam import (confidence_mask, masked_average_pool,
                                    pair_prototypes)


def test_confidence_mask_threshold_and_beta_extremes():
    conf = torch.tensor([[[[0.1, 0.3], [0.31, 0.9]]]])
    thr = torch.tensor([[[[0.0, 0.0], [1.0, 1.0]]]])  # strictly > alpha
    assert torch.equal(confidence_mask(conf, 0.3, 1.0), thr)
    assert torch.equal(confidence_mask(conf, 0.3, 0.0), torch.zeros_like(conf))
    # No Bernoulli at test time.
    assert torch.equal(confidence_mask(conf, 0.3, 0.0, training=False), thr)


def test_confidence_mask_bernoulli_keeps_about_beta():
    torch.manual_seed(0)
    conf = torch.ones(1, 1, 100, 100)
    kept = confidence_mask(conf, 0.3, 0.25).mean().item()
    assert abs(kept - 0.25) < 0.03
    with pytest.raises(ValueError, match='keep_prob'):
        confidence_mask(conf, 0.3, 1.5)


def test_prototype_is_masked_mean_eq_5():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 3, 3)
    mask = torch.zeros(2, 1, 3, 3)
    mask[0, 0, 0, 0] = mask[0, 0, 2, 1] = mask[0, 0, 1, 1] = 1
    protos, valid = masked_average_pool(feat, mask)
    expected = (feat[0, :, 0, 0] + feat[0, :, 2, 1] + feat[0, :, 1, 1]) / 3
    assert torch.allclose(protos[0], expected, atol=1e-6)
    assert valid.tolist() == [True, False]  # image 1 has an empty mask
    assert torch.all(protos[1] == 0)


def test_pair_prototypes_gives_2n_from_both_images():
    protos = torch.arange(4 * 2 * 3, dtype=torch.float).reshape(4, 2, 3)
    valid = torch.tensor([[True, False], [True, True], [False, False],
                          [True, True]])
    p, v = pair_prototypes(protos, valid, 'pair')
    assert p.shape == (4, 4, 3)
    # Images 0 and 1 form a pair; both see [p0_1, p0_2, p1_1, p1_2].
    assert torch.equal(p[0], torch.cat([protos[0], protos[1]]))
    assert torch.equal(p[1], p[0])
    assert torch.equal(p[3], torch.cat([protos[2], protos[3]]))
    assert v[2].tolist() == [False, False, True, True]
    ps, vs = pair_prototypes(protos, valid, 'self')
    assert torch.equal(ps, protos) and torch.equal(vs, valid)
    with pytest.raises(ValueError, match='even batch'):
        pair_prototypes(protos[:3], valid[:3], 'pair')
    with pytest.raises(ValueError, match='prototype source'):
        pair_prototypes(protos, valid, 'both')
