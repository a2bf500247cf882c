"""walk_to_pseudo_label: IRN's upsampling, normalisation and argmax."""
import pytest
import torch
import torch.nn.functional as F

from rpnet_mmseg.refine import (PathIndex, dense_propagate_reference,
                                walk_to_pseudo_label, walked_bg_power)


def _two_regions(h=5, w=8):
    """A boundary wall at column 4; CAM 0 on the left, CAM 1 on the right."""
    boundary = torch.zeros(h, w)
    boundary[:, 4] = 1.0
    cams = torch.zeros(2, h, w)
    cams[0, 1:4, 0:3] = 1.0
    cams[1, 0:2, 5:8] = 0.5
    return cams, boundary


def test_tiny_case_by_hand():
    cams, boundary = _two_regions()
    keys = torch.tensor([2, 6])  # class ids 3 and 7
    label = walk_to_pseudo_label(cams, keys, boundary, (18, 30),
                                 PathIndex(5))
    assert label.shape == (18, 30) and label.dtype == torch.long
    assert set(label.unique().tolist()) <= {0, 3, 7}
    # Each region fills with its own class; the wall (x4 upsampled:
    # columns 16..19) separates them.
    assert (label[:, :14] == 3).all()
    assert (label[:, 22:] == 7).all()


def test_matches_dense_pipeline():
    g = torch.Generator().manual_seed(0)
    h, w = 9, 12
    boundary = torch.rand(h, w, generator=g)**4
    cams = torch.rand(3, h, w, generator=g)**2
    keys = torch.tensor([0, 4, 13])
    img_shape = (34, 45)
    label = walk_to_pseudo_label(cams, keys, boundary, img_shape,
                                 PathIndex(5))
    # IRN's steps on the dense walk, written out here.
    rw = dense_propagate_reference(cams.double(), boundary.double(),
                                   PathIndex(5))
    up = F.interpolate(
        rw[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :34, :45]
    up = up / up.max()
    scores = torch.cat([torch.full((1, 34, 45), 0.25).double(), up])
    expected = torch.tensor([0, 1, 5, 14])[scores.argmax(0)]
    assert torch.equal(label, expected)
    assert {0, 1, 5, 14} >= set(label.unique().tolist())


def test_background_threshold():
    cams, boundary = _two_regions()
    keys = torch.tensor([2, 6])
    # Above every normalised score: all background.
    label = walk_to_pseudo_label(
        cams, keys, boundary, (20, 32), PathIndex(5), bg_threshold=1.01)
    assert (label == 0).all()


def test_no_class_or_no_activation():
    boundary = torch.rand(4, 5)
    label = walk_to_pseudo_label(
        torch.zeros(0, 4, 5), torch.zeros(0, dtype=torch.long), boundary,
        (15, 17), PathIndex(5))
    assert label.shape == (15, 17) and (label == 0).all()
    label = walk_to_pseudo_label(
        torch.zeros(1, 4, 5), torch.tensor([3]), boundary, (15, 17),
        PathIndex(5))
    assert (label == 0).all()


def test_errors():
    cams, boundary = _two_regions()
    with pytest.raises(ValueError, match='keys'):
        walk_to_pseudo_label(cams, torch.tensor([1]), boundary, (20, 32),
                             PathIndex(5))
    with pytest.raises(ValueError, match='does not cover'):
        walk_to_pseudo_label(cams, torch.tensor([1, 2]), boundary, (21, 32),
                             PathIndex(5))


def test_walked_background_matches_dense_pipeline():
    g = torch.Generator().manual_seed(1)
    h, w = 9, 12
    boundary = torch.rand(h, w, generator=g)**4
    cams = torch.rand(2, h, w, generator=g)**2
    keys = torch.tensor([3, 9])
    label = walk_to_pseudo_label(
        cams, keys, boundary, (34, 45), PathIndex(5), exp_times=4,
        bg_mode='walked', bg_power=3)
    # AffinityNet's background, walked with the CAMs, written out here.
    background = (1 - cams.max(0, keepdim=True)[0])**3
    rw = dense_propagate_reference(
        torch.cat([background, cams]).double(), boundary.double(),
        PathIndex(5), exp_times=4)
    up = F.interpolate(
        rw[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :34, :45]
    expected = torch.tensor([0, 4, 10])[up.argmax(0)]
    assert torch.equal(label, expected)
    assert len(label.unique()) == 3  # every class and background occur


def test_walked_background_stays_behind_the_wall():
    # A CAM that leaks weakly across the wall: IRN's constant background
    # gives the right region to the class (its walked score, normalised
    # by the global max, beats 0.25 there); the walked background keeps it.
    boundary = torch.zeros(5, 8)
    boundary[:, 4] = 1.0
    cams = torch.zeros(1, 5, 8)
    cams[0, :, 0:4] = 1.0
    cams[0, :, 5:8] = 0.3
    keys = torch.tensor([2])
    constant = walk_to_pseudo_label(cams, keys, boundary, (20, 32),
                                    PathIndex(5), exp_times=4)
    walked = walk_to_pseudo_label(
        cams, keys, boundary, (20, 32), PathIndex(5), exp_times=4,
        bg_mode='walked', bg_power=1)
    assert (constant[:, 24:] == 3).all()
    assert (walked[:, 24:] == 0).all() and (walked[:, :12] == 3).all()


def test_bg_mode_errors():
    cams, boundary = _two_regions()
    keys = torch.tensor([1, 2])
    with pytest.raises(ValueError, match="bg_mode must be"):
        walk_to_pseudo_label(cams, keys, boundary, (20, 32), PathIndex(5),
                             bg_mode='psa')
    with pytest.raises(ValueError, match='bg_power'):
        walk_to_pseudo_label(cams, keys, boundary, (20, 32), PathIndex(5),
                             bg_mode='walked')


@pytest.mark.parametrize('t', [0.15, 0.3, 0.5, 0.7])
def test_walked_background_equals_the_cam_at_t(t):
    power = walked_bg_power(t)
    assert (1 - t)**power == pytest.approx(t)
    # Below t the background wins, above it the class.
    assert (1 - (t - 0.05))**power > t - 0.05
    assert (1 - (t + 0.05))**power < t + 0.05


def test_walked_bg_power_rejects_bad_thresholds():
    for t in (0.0, 1.0, -0.2):
        with pytest.raises(ValueError, match='background threshold'):
            walked_bg_power(t)
