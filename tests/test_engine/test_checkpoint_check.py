import pytest
import torch
from torch import nn

from rpnet_mmseg.engine import checkpoint_mismatches, load_checkpoint_strict


def test_matching_checkpoint_passes(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    load_checkpoint_strict(model, str(path))
    assert checkpoint_mismatches(model, model.state_dict()) == []


def test_mismatch_names_file_keys_and_shapes(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    other = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(), nn.Conv2d(8, 2, 1))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict()}, path)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError) as err:
        load_checkpoint_strict(model, str(path))
    msg = str(err.value)
    assert 'other.pth' in msg and 'does not match' in msg
    assert 'missing in checkpoint' in msg and '1.running_mean' in msg
    assert 'not in model' in msg and '2.weight' in msg
    assert '0.weight: checkpoint (8, 3, 1, 1) vs model (4, 3, 1, 1)' in msg
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
