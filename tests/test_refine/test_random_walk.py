"""Sparse random walk against numpy's and IRN's dense walks."""
import itertools

import numpy as np
import pytest
import torch

from rpnet_mmseg.refine import (PathIndex, dense_propagate_reference,
                                propagate)
from rpnet_mmseg.refine.random_walk import (chebyshev_degree,
                                            chebyshev_power_coefficients)


def _numpy_walk(cams, boundary, radius, beta, exp_times):
    """IRN's walk built pixel pair by pixel pair in numpy (float64).

    Pairs closer than ``radius``; affinity 1 - max boundary over the pixels
    of the pair's bounding box within one pixel of its line; a_ii = 1;
    T = A^beta with unit column sums; x T^(2^exp_times).
    """
    k, h, w = cams.shape
    coords = list(itertools.product(range(h), range(w)))
    a = np.eye(h * w)
    for (i, (y, x)), (j, (ty, tx)) in itertools.combinations(
            enumerate(coords), 2):
        dy, dx = ty - y, tx - x
        if not dy * dy + dx * dx < radius * radius:
            continue
        vals = [
            boundary[py, px] for py in range(min(y, ty),
                                             max(y, ty) + 1)
            for px in range(min(x, tx),
                            max(x, tx) + 1)
            if (dy * (px - x) - dx * (py - y))**2 < dy * dy + dx * dx
        ]
        a[i, j] = a[j, i] = 1 - max(vals)
    a = a**beta
    t = a / a.sum(axis=0, keepdims=True)
    x = (cams * (1 - boundary)).reshape(k, -1)
    return (x @ np.linalg.matrix_power(t, 2**exp_times)).reshape(k, h, w)


def _inputs(seed, k, h, w, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    boundary = torch.rand(h, w, generator=g, dtype=dtype)**3
    cams = torch.rand(k, h, w, generator=g, dtype=dtype)
    return cams, boundary


def test_hand_worked_1x3():
    # 1 x 3 grid, radius 2: pairs (0,1) and (1,2). B = [0, 0, 0.5]:
    # a01 = 1, a12 = 0.5; beta = 1, one step (exp_times = 0).
    cams = torch.tensor([[[1.0, 0.0, 0.0]]], dtype=torch.float64)
    boundary = torch.tensor([[0.0, 0.0, 0.5]], dtype=torch.float64)
    # A = [[1, 1, 0], [1, 1, .5], [0, .5, 1]], column sums 2, 2.5, 1.5:
    # x T = [1/2, 1/2.5, 0] for x = [1, 0, 0].
    expected = torch.tensor([[[0.5, 0.4, 0.0]]], dtype=torch.float64)
    for method in ('power', 'chebyshev'):
        out = propagate(
            cams, boundary, PathIndex(2), beta=1, exp_times=0, method=method)
        assert torch.allclose(out, expected, atol=1e-12)
    assert torch.allclose(
        dense_propagate_reference(
            cams, boundary, PathIndex(2), beta=1, exp_times=0),
        expected,
        atol=1e-12)


@pytest.mark.parametrize('h,w,radius,exp_times', [(4, 5, 3, 3), (6, 7, 5, 4),
                                                  (9, 6, 5, 8)])
def test_matches_numpy_walk(h, w, radius, exp_times):
    cams, boundary = _inputs(h * w, 2, h, w)
    expected = _numpy_walk(cams.numpy(), boundary.numpy(), radius, 10.0,
                           exp_times)
    pi = PathIndex(radius)
    for method in ('power', 'chebyshev'):
        out = propagate(
            cams, boundary, pi, beta=10, exp_times=exp_times, method=method)
        np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=1e-8)
    ref = dense_propagate_reference(cams, boundary, pi, exp_times=exp_times)
    np.testing.assert_allclose(ref.numpy(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('h,w,k', [(12, 17, 3), (20, 24, 2), (25, 9, 4)])
def test_sparse_equals_dense(h, w, k):
    """IRN's radius 5, beta 10, 2^8 steps, as the pseudo-label stage."""
    cams, boundary = _inputs(7 + h, k, h, w)
    pi = PathIndex(5)
    ref = dense_propagate_reference(cams, boundary, pi)
    bg = torch.full((1, h, w), 0.25, dtype=ref.dtype)
    ref_labels = torch.cat([bg, ref / ref.max()]).argmax(0)
    for method in ('power', 'chebyshev'):
        out = propagate(cams, boundary, pi, method=method)
        assert out.shape == (k, h, w) and out.dtype == torch.float64
        assert (out - ref).abs().max() < 1e-7
        labels = torch.cat([bg, out / out.max()]).argmax(0)
        assert torch.equal(labels, ref_labels)
    # float32, as the pseudo-label stage runs: within float32 rounding.
    out32 = propagate(cams.float(), boundary.float(), pi)
    assert out32.dtype == torch.float32
    assert (out32.double() - ref).abs().max() < 1e-4


def test_walk_respects_boundaries():
    # A vertical wall of boundary 1 splits the grid: no mass crosses it.
    h, w = 8, 11
    boundary = torch.zeros(h, w, dtype=torch.float64)
    boundary[:, 5] = 1.0
    cams = torch.zeros(1, h, w, dtype=torch.float64)
    cams[0, 2:6, 0:3] = 1.0
    out = propagate(cams, boundary, PathIndex(5))
    assert out[0, :, 5:].abs().max() == 0
    # Left of the wall the walk mixes towards the region's mean.
    left = out[0, :, :5]
    assert left.min() > 0 and left.max() - left.min() < 0.2


def test_chebyshev_coefficients():
    for n in (0, 1, 2, 7, 64, 256):
        c = chebyshev_power_coefficients(n)
        assert sum(c) == pytest.approx(1.0)
        lam = np.linspace(-1, 1, 11)
        np.testing.assert_allclose(
            np.polynomial.chebyshev.chebval(lam, c), lam**n, atol=1e-12)
    c = chebyshev_power_coefficients(256)
    d = chebyshev_degree(256, 1e-9)
    assert sum(c[d + 1:]) <= 1e-9 < sum(c[d:])
    assert d < 128  # the point of the expansion: far fewer products


MEMORY_SCRIPT = """
import resource
import torch
from rpnet_mmseg.refine import PathIndex, propagate
torch.manual_seed(0)
cams = torch.rand(1, {h}, {w})
boundary = torch.rand({h}, {w})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = propagate(cams, boundary, PathIndex(5), exp_times=1)
assert out.shape == (1, {h}, {w}) and torch.isfinite(out).all()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def _peak_kib(h, w):
    """Peak resident memory (KiB) a fresh process adds to walk h x w."""
    import subprocess
    import sys
    res = subprocess.run(
        [sys.executable, '-c', MEMORY_SCRIPT.format(h=h, w=w)],
        capture_output=True, text=True, timeout=300,
        env=dict(__import__('os').environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, res.stderr[-2000:]
    return int(res.stdout.split()[-1])


def test_memory_is_linear():
    """Peak memory of the walk on 30,000 pixels (a dense transition matrix
    would need 3.6 GB) stays far below the dense size and grows about
    linearly: 4x the pixels, well under 16x the memory."""
    small, large = _peak_kib(75, 100), _peak_kib(150, 200)
    dense_kib = (150 * 200)**2 * 4 / 1024
    assert large < dense_kib / 10, (small, large)
    # ru_maxrss moves in pages and allocator arenas: compare with a floor
    assert large < 8 * max(small, 4096), (small, large)


def test_edge_cases_and_errors():
    pi = PathIndex(5)
    cams, boundary = _inputs(1, 2, 5, 6)
    empty = propagate(cams[:0], boundary, pi)
    assert empty.shape == (0, 5, 6)
    # exp_times = 0 and 'power' with one step agree with the reference.
    assert torch.allclose(
        propagate(cams, boundary, pi, exp_times=0),
        dense_propagate_reference(cams, boundary, pi, exp_times=0))
    with pytest.raises(ValueError, match='boundary'):
        propagate(cams, boundary[:4], pi)
    with pytest.raises(ValueError, match='cams'):
        propagate(cams[0], boundary, pi)
    with pytest.raises(ValueError, match='method'):
        propagate(cams, boundary, pi, method='dense')
    with pytest.raises(ValueError, match='beta'):
        propagate(cams, boundary, pi, beta=0)


def test_channel_chunks_do_not_change_the_result():
    cams, boundary = _inputs(2, 5, 11, 13, dtype=torch.float32)
    pi = PathIndex(5)
    whole = propagate(cams, boundary, pi, chunk_size=5)
    for chunk in (1, 2, 3):
        assert torch.equal(propagate(cams, boundary, pi, chunk_size=chunk),
                           whole)
    # Each channel walks alone: the channels do not mix.
    assert torch.equal(propagate(cams[3:4], boundary, pi), whole[3:4])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    cams, boundary = _inputs(3, 3, 30, 41, dtype=torch.float32)
    pi = PathIndex(5)
    cpu = propagate(cams, boundary, pi)
    gpu = propagate(cams.cuda(), boundary.cuda(), pi)
    assert gpu.is_cuda
    assert (gpu.cpu() - cpu).abs().max() < 1e-4
