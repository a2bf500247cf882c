"""PathIndex: directions, paths, affinities and pair targets by hand."""
import itertools

import numpy as np
import pytest
import torch

from rpnet_mmseg.refine import PathIndex


def _set(tensor):
    return {tuple(v) for v in tensor.tolist()}


def test_directions_by_hand_radius_2_and_3():
    # radius 2: offsets with 0 < dy^2 + dx^2 < 4 on the half disk.
    assert _set(PathIndex(2).directions) == {(0, 1), (1, -1), (1, 0), (1, 1)}
    # radius 3: (0, 1), (0, 2); dy = 1 and dy = 2 with |dx| <= 2 (1 + 4 and
    # 4 + 4 are < 9, 4 + 9 is not).
    expected = {(0, 1), (0, 2)} | {(dy, dx)
                                   for dy in (1, 2) for dx in range(-2, 3)}
    assert _set(PathIndex(3).directions) == expected
    assert len(PathIndex(3).directions) == 12


@pytest.mark.parametrize('radius,count', [(5, 34), (10, 152)])
def test_irn_direction_counts(radius, count):
    dirs = PathIndex(radius).directions
    assert dirs.shape == (count, 2) and dirs.dtype == torch.long
    # Each unordered pair once: d and -d never both listed, and together
    # they are every grid offset of the open disk (counted by brute force).
    half = _set(dirs)
    assert not half & {(-a, -b) for a, b in half}
    disk = {(a, b)
            for a, b in itertools.product(range(-radius, radius + 1),
                                          repeat=2)
            if 0 < a * a + b * b < radius * radius}
    assert half | {(-a, -b) for a, b in half} == disk


@pytest.mark.parametrize('radius', [True, 1, 0, 2.5, '5'])
def test_bad_radius(radius):
    with pytest.raises(ValueError, match='radius'):
        PathIndex(radius)


def test_paths_by_hand():
    pi = PathIndex(5)
    paths = {
        tuple(d): p.tolist()
        for d, p in zip(pi.directions.tolist(), pi.paths)
    }
    # Straight lines: every pixel between the ends.
    assert paths[(0, 3)] == [[0, 0], [0, 1], [0, 2], [0, 3]]
    assert paths[(2, 0)] == [[0, 0], [1, 0], [2, 0]]
    # The diagonal (3, 3): pixels within one pixel of the line, |x-y| <= 1.
    diag = paths[(3, 3)]
    assert sorted(map(tuple, diag)) == sorted(
        (y, x) for y in range(4) for x in range(4) if abs(x - y) <= 1)
    assert diag[0] == [0, 0] and diag[-1] == [3, 3]
    # (2, -1): the whole 3 x 2 box is within one pixel of the line.
    assert sorted(map(tuple, paths[(2, -1)])) == sorted(
        (y, x) for y in range(3) for x in (-1, 0))
    for d, p in zip(pi.directions.tolist(), pi.paths):
        assert p[0].tolist() == [0, 0] and p[-1].tolist() == d


def test_valid_mask_by_hand():
    # radius 2 on a 2 x 3 map: (0,1), (1,-1), (1,0), (1,1).
    valid = PathIndex(2).valid_mask(2, 3)
    expected = np.array([
        [[1, 1, 0], [1, 1, 0]],  # (0, 1): not from the last column
        [[0, 1, 1], [0, 0, 0]],  # (1, -1): not from col 0 or the last row
        [[1, 1, 1], [0, 0, 0]],  # (1, 0)
        [[1, 1, 0], [0, 0, 0]],  # (1, 1)
    ], bool)
    assert valid.dtype == torch.bool
    np.testing.assert_array_equal(valid.numpy(), expected)


def test_affinity_by_hand():
    b = torch.tensor([[[0.0, 0.5, 0.0], [0.2, 0.0, 0.9], [0.0, 0.0, 0.1]]])
    aff = PathIndex(2).affinity(b)
    assert aff.shape == (1, 4, 3, 3)
    d = {(0, 1): 0, (1, -1): 1, (1, 0): 2, (1, 1): 3}
    cases = {
        # (direction, y, x): 1 - max boundary on the path
        ((0, 1), 0, 0): 1 - 0.5,  # (0,0) (0,1)
        ((0, 1), 0, 1): 1 - 0.5,  # (0,1) (0,2)
        ((0, 1), 2, 0): 1 - 0.0,  # (2,0) (2,1)
        ((1, 0), 1, 2): 1 - 0.9,  # (1,2) (2,2)
        ((1, 0), 0, 0): 1 - 0.2,  # (0,0) (1,0)
        ((1, 1), 0, 0): 1 - 0.5,  # box (0,0) (0,1) (1,0) (1,1)
        ((1, 1), 1, 0): 1 - 0.2,  # box (1,0) (1,1) (2,0) (2,1)
        ((1, -1), 0, 2): 1 - 0.9,  # box (0,1) (0,2) (1,1) (1,2)
        ((1, -1), 1, 1): 1 - 0.2,  # box (1,0) (1,1) (2,0) (2,1)
        # destination outside: affinity 0
        ((0, 1), 1, 2): 0.0,
        ((1, -1), 0, 0): 0.0,
        ((1, 0), 2, 1): 0.0,
    }
    for (direction, y, x), value in cases.items():
        assert aff[0, d[direction], y, x].item() == pytest.approx(value), \
            (direction, y, x)


def _brute_force_affinity(b, radius):
    """Per pair: 1 - max of b over the pixels within one pixel of the
    segment's line inside its bounding box (numpy, pixel by pixel)."""
    h, w = b.shape
    out = {}
    for y, x in itertools.product(range(h), range(w)):
        for dy, dx in itertools.product(range(0, radius), range(-radius,
                                                                radius)):
            if not 0 < dy * dy + dx * dx < radius * radius or (dy == 0
                                                               and dx < 0):
                continue
            ty, tx = y + dy, x + dx
            if not (0 <= ty < h and 0 <= tx < w):
                continue
            vals = [
                b[py, px] for py in range(min(y, ty),
                                          max(y, ty) + 1)
                for px in range(min(x, tx),
                                max(x, tx) + 1)
                if (dy * (px - x) - dx * (py - y))**2 < dy * dy + dx * dx
            ]
            out[(dy, dx, y, x)] = 1 - max(vals)
    return out


def test_affinity_matches_brute_force():
    rng = np.random.default_rng(0)
    b = rng.random((6, 7))
    pi = PathIndex(4)
    aff = pi.affinity(torch.from_numpy(b)[None])[0].numpy()
    valid = pi.valid_mask(6, 7).numpy()
    expected = _brute_force_affinity(b, 4)
    dirs = [tuple(v) for v in pi.directions.tolist()]
    assert int(valid.sum()) == len(expected)
    for (dy, dx, y, x), value in expected.items():
        assert aff[dirs.index((dy, dx)), y, x] == pytest.approx(value)
    assert np.all(aff[~valid] == 0)


def test_affinity_into_a_strided_tensor():
    pi = PathIndex(3)
    b = torch.rand(2, 5, 6)
    buf = torch.zeros(2, 12, 5, 9)
    out = pi.affinity(b, out=buf[..., 1:7])
    assert out.data_ptr() == buf[..., 1:7].data_ptr()
    assert torch.equal(buf[..., 1:7], pi.affinity(b))
    assert (buf[..., :1] == 0).all() and (buf[..., 7:] == 0).all()
    with pytest.raises(ValueError, match='out must be'):
        pi.affinity(b, out=torch.zeros(2, 12, 5, 5))


def test_affinity_gradient():
    pi = PathIndex(3)
    b = torch.rand(2, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(pi.affinity, (b, ))
    # The gradient of one pair goes to the path's maximum only.
    b = torch.zeros(1, 3, 3, requires_grad=True)
    with torch.no_grad():
        b[0, 0, 1] = 0.7
        b[0, 1, 0] = 0.4
    aff = pi.affinity(b)
    dirs = [tuple(v) for v in pi.directions.tolist()]
    aff[0, dirs.index((1, 1)), 0, 0].backward()  # box (0,0)..(1,1)
    expected = torch.zeros(1, 3, 3)
    expected[0, 0, 1] = -1
    assert torch.equal(b.grad, expected)
    # With and without autograd the values agree.
    with torch.no_grad():
        assert torch.equal(pi.affinity(b), aff.detach())


def test_pair_targets_by_hand():
    label = torch.tensor([[[0, 0, 1], [255, 1, 2]]])
    out = PathIndex(2).pair_targets(label)
    assert set(out) == {'bg_pos', 'fg_pos', 'neg'}
    d = {(0, 1): 0, (1, -1): 1, (1, 0): 2, (1, 1): 3}

    def pairs(key):
        return {(dir_, y, x)
                for dir_, k in d.items() for y in range(2) for x in range(3)
                if out[key][0, k, y, x]}

    assert all(v.shape == (1, 4, 2, 3) and v.dtype == torch.bool
               for v in out.values())
    # (0,0)-(0,1) both background.
    assert pairs('bg_pos') == {((0, 1), 0, 0)}
    # (0,2)=1 and (1,1)=1.
    assert pairs('fg_pos') == {((1, -1), 0, 2)}
    # 0-1 (x3), 0-2, 1-2 (x2); the 255 at (1,0) never counts.
    assert pairs('neg') == {((1, 1), 0, 0), ((0, 1), 0, 1), ((1, 0), 0, 1),
                            ((1, 1), 0, 1), ((1, 0), 0, 2), ((0, 1), 1, 1)}


def test_pair_targets_bad_input():
    with pytest.raises(ValueError, match='label'):
        PathIndex(2).pair_targets(torch.zeros(3, 3, dtype=torch.long))
    with pytest.raises(TypeError, match='integer'):
        PathIndex(2).pair_targets(torch.zeros(1, 3, 3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    pi = PathIndex(5)
    b = torch.rand(2, 9, 11)
    label = torch.randint(0, 3, (2, 9, 11))
    assert torch.allclose(pi.affinity(b.cuda()).cpu(), pi.affinity(b))
    for key, value in pi.pair_targets(label.cuda()).items():
        assert torch.equal(value.cpu(), pi.pair_targets(label)[key])
    assert pi.valid_mask(9, 11, device='cuda').is_cuda
