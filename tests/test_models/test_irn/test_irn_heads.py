"""Shapes and wiring of IRN's edge and displacement heads and helpers."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from rpnet_mmseg.models.irn import IRNDisplacementHead, IRNEdgeHead
from rpnet_mmseg.models.irn.utils import (gather_destinations,
                                          sample_label_grid, upsample_to)


def _feats(b=2,
           sizes=((16, 12), (8, 6), (4, 3), (4, 3)),
           channels=(8, 16, 32, 64)):
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(b, c, *s, generator=g) for c, s in zip(channels, sizes)
    ]


def test_edge_head_shapes():
    head = IRNEdgeHead(in_channels=[8, 16, 32, 64], channels=8, num_groups=2)
    out = head(_feats())
    assert out.shape == (2, 1, 16, 12)
    # Sizes that do not divide: 13 x 11 at stride 4 of a 50 x 42 image.
    odd = _feats(sizes=((13, 11), (7, 6), (4, 3), (4, 3)))
    assert head(odd).shape == (2, 1, 13, 11)
    # A subset of levels through in_index.
    sub = IRNEdgeHead(
        in_channels=[8, 64], in_index=(0, 3), channels=8, num_groups=2)
    assert sub(_feats()).shape == (2, 1, 16, 12)
    assert sub.conv_edge.in_channels == 16


def test_edge_head_errors_name_the_mismatch():
    head = IRNEdgeHead(in_channels=[8, 16, 32, 64], channels=8, num_groups=2)
    with pytest.raises(ValueError, match=r'\[8, 16, 32, 65\] channels'):
        head(_feats(channels=(8, 16, 32, 65)))
    with pytest.raises(ValueError, match='differ in length'):
        IRNEdgeHead(in_channels=[8, 16], in_index=(0, ))
    with pytest.raises(ValueError, match='divisible by num_groups'):
        IRNEdgeHead(in_channels=[8], channels=30, num_groups=4)


def test_displacement_head_shapes_and_structure():
    head = IRNDisplacementHead(
        in_channels=[8, 16, 32, 64],
        channels=[8, 16, 16, 16],
        fuse_channels=16)
    assert head(_feats()).shape == (2, 2, 16, 12)
    # Coarse levels fused at the finest coarse size, then joined.
    assert head.fuse_coarse[0].in_channels == 16 * 3
    assert head.fuse_fine[0].in_channels == 8 + 16
    assert head.conv_disp.bias is None
    # IRN's GroupNorm group counts: min(16, channels // 8).
    assert head.laterals[0][1].num_groups == 1
    assert head.fuse_fine[1].num_groups == 2
    big = IRNDisplacementHead(
        in_channels=[8], channels=[256], fine_levels=(0, ), fuse_channels=128)
    assert big.laterals[0][1].num_groups == 16
    assert big.fuse_coarse is None
    assert big(_feats()[:1]).shape == (2, 2, 16, 12)


def test_displacement_head_errors():
    with pytest.raises(ValueError, match='fine_levels'):
        IRNDisplacementHead(
            in_channels=[8, 16], channels=[8, 16], fine_levels=(2, ))
    with pytest.raises(ValueError, match='differ in length'):
        IRNDisplacementHead(in_channels=[8, 16], channels=[8])
    with pytest.raises(ValueError, match='multiple of 8'):
        IRNDisplacementHead(in_channels=[8], channels=[44])


def test_upsample_to_matches_interpolate_then_crop():
    x = torch.randn(1, 3, 4, 3)
    # Divisible: a plain bilinear resize.
    assert torch.allclose(
        upsample_to(x, (16, 12)),
        F.interpolate(x, (16, 12), mode='bilinear', align_corners=False))
    # Not divisible: x4 upsampling, then the top-left 13 x 11 window.
    ref = F.interpolate(x, (16, 12), mode='bilinear', align_corners=False)
    assert torch.allclose(upsample_to(x, (13, 11)), ref[..., :13, :11])
    with pytest.raises(ValueError, match='smaller'):
        upsample_to(x, (2, 3))


def test_gather_destinations_against_loops():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 6)).astype(np.float32)
    offsets = np.array([[0, 1], [1, -2], [2, 0], [0, 0]])
    out = gather_destinations(torch.from_numpy(x),
                              torch.from_numpy(offsets)).numpy()
    assert out.shape == (2, 3, 4, 5, 6)
    for d, (dy, dx) in enumerate(offsets):
        for y in range(5):
            for xx in range(6):
                ty, tx = y + dy, xx + dx
                want = x[:, :, ty, tx] if 0 <= ty < 5 and 0 <= tx < 6 \
                    else np.zeros((2, 3), np.float32)
                assert np.array_equal(out[:, :, d, y, xx], want)


@pytest.mark.parametrize('in_size,out_size', [((32, 24), (8, 6)),
                                              ((30, 22), (8, 6)),
                                              ((17, 9), (5, 3))])
def test_sample_label_grid_is_pil_nearest(in_size, out_size):
    rng = np.random.default_rng(1)
    label = rng.integers(0, 5, in_size).astype(np.uint8)
    # PIL's nearest-neighbour downscaling, IRN's way to the stride-4 grid.
    want = np.array(
        Image.fromarray(label).resize(out_size[::-1], resample=Image.NEAREST))
    got = sample_label_grid(torch.from_numpy(label)[None].long(), out_size)
    assert np.array_equal(got[0].numpy(), want)
