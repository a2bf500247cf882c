import torch

from rpnet_mmseg.models.cam import (MultiLevelActivation,
                                    normalize_by_spatial_max)


def test_normalize_by_spatial_max_matches_loop():
    torch.manual_seed(0)
    f = torch.randn(2, 3, 4, 5)
    out = normalize_by_spatial_max(f)
    for b in range(2):
        for c in range(3):
            peak = max(f[b, c].max().item(), 1e-5)
            expected = torch.clamp(f[b, c] / peak, min=0)
            assert torch.allclose(out[b, c], expected, atol=1e-6)
    # Channels with a positive max reach exactly 1.
    assert torch.allclose(out.amax(dim=(2, 3))[f.amax(dim=(2, 3)) > 0],
                          torch.tensor(1.0))


def test_activation_and_confident_map_eqs_3_4():
    torch.manual_seed(0)
    mla = MultiLevelActivation(in_channels=[3, 5], proj_channels=4)
    feats = [torch.rand(2, 3, 6, 6), torch.rand(2, 5, 3, 3)]
    acts, confs = mla(feats)
    for feat, proj, act, conf in zip(feats, mla.projs, acts, confs):
        normed = normalize_by_spatial_max(feat)
        w = proj.weight[:, :, 0, 0]  # (P, C)
        expected = torch.einsum('pc,bchw->bphw', w, normed)
        assert act.shape == (2, 4) + feat.shape[-2:]
        assert torch.allclose(act, expected, atol=1e-5)
        # eq. 4: class-agnostic max over channels, values in [0, 1].
        assert torch.equal(conf, normed.max(dim=1, keepdim=True).values)
        assert conf.min() >= 0 and conf.max() <= 1


def test_activation_rejects_wrong_number_of_levels():
    mla = MultiLevelActivation(in_channels=[3, 5])
    try:
        mla([torch.rand(1, 3, 2, 2)])
    except ValueError as e:
        assert 'expected 2' in str(e)
    else:
        raise AssertionError('no error for a missing level')
