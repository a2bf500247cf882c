import torch
import torch.nn.functional as F

from rpnet_mmseg.models.cam import PrototypeComparator


def test_fm_is_max_cosine_eqs_7_8():
    torch.manual_seed(0)
    feat = torch.randn(2, 5, 3, 4)
    protos = torch.randn(2, 3, 5)
    valid = torch.tensor([[True, True, False], [True, False, True]])
    fm = PrototypeComparator()(feat, protos, valid)
    assert fm.shape == (2, 1, 3, 4)
    for b in range(2):
        for y in range(3):
            for x in range(4):
                sims = [
                    F.cosine_similarity(protos[b, k], feat[b, :, y, x], dim=0)
                    for k in range(3) if valid[b, k]
                ]
                assert torch.allclose(fm[b, 0, y, x], max(sims), atol=1e-5)


def test_fm_without_valid_prototype_uses_fallback():
    feat = torch.randn(2, 5, 2, 2)
    protos = torch.randn(2, 2, 5)
    valid = torch.tensor([[False, False], [True, False]])
    fm = PrototypeComparator(fallback=1.0)(feat, protos, valid)
    assert torch.all(fm[0] == 1.0)
    assert torch.all(fm[1] <= 1.0) and not torch.all(fm[1] == 1.0)
