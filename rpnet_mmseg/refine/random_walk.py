"""IRN's random walk with sparse products: memory linear in the pixels.

IRN (Ahn, Cho, Kwak, CVPR 2019, section 3.4; docs/en/method.md section
3.6) spreads the CAMs over the stride-4 grid along the affinities of its path
index at radius 5:

    A = [a_ij] with a_ii = 1 and a_ij = a_ji,       (IRN eq. 2, symmetric)
    T = A^beta S^-1,  S = diag(column sums of A^beta),    (IRN eq. 11)
    vec(rw_c) = vec(cam_c * (1 - B)) T^t,  t = 2^exp_times.  (IRN eq. 12)

IRN's release builds ``T`` as a dense N x N matrix and squares it
``exp_times`` times: N^2 memory (0.55 GB for one 500 x 375 image) and
N^3 time per squaring. ``A`` has at most ``2 D + 1`` non-zeros per column
(D = 34 directions at radius 5), so here ``T`` is never formed. The maps
live in a flat layout with zero margins (:class:`_FlatGrid`) in which every
grid offset is a constant shift of contiguous memory, and a product
``W q`` with ``W = A^beta`` takes one multiply-add per offset: the pair
``(j, j + d)`` reads its weight ``w_d[j]`` (stored once, at the pair's
source) for ``+d`` and the same plane shifted by ``-d`` for ``-d``. Memory
is ``D + 1`` weight planes plus three buffers of a chunk of CAM channels
and the result: O((D + K) N), 1.8 MB + 4 MB for 20 CAMs at VOC size.

In column form one step is ``q <- S^-1 W q``. Two ways to take ``t`` of
them, both with those sparse products only:

- ``'power'``: ``t`` products, literally IRN's ``T^t``.
- ``'chebyshev'`` (default): ``T`` is similar to the symmetric
  ``M = S^-1/2 W S^-1/2`` whose eigenvalues lie in [-1, 1] (``T`` is
  stochastic), and ``lambda^t = sum_k c_k T_k(lambda)`` in Chebyshev
  polynomials with ``c_k = 2^(1-t) C(t, (t-k)/2)`` (half of that for
  k = 0): the distribution of a simple random walk, negligible beyond
  ``k ~ 6 sqrt(t)``. The series is cut where the dropped coefficients sum
  to ``tol / sqrt((2D + 1) N)``, which changes no walked value by more than
  ``tol`` times the largest CAM value (``|T_k| <= 1`` on [-1, 1]; the
  similarity costs at most ``sqrt(max column sum) ||x||_2``). With
  ``q_k = S^-1/2 T_k(M) S^1/2 x`` the three-term recurrence reads
  ``q_0 = x``, ``q_1 = S^-1 W x``, ``q_{k+1} = 2 S^-1 W q_k - q_{k-1}`` and
  the walk is ``sum_k c_k q_k``: for ``t = 256`` at VOC size 96 products
  instead of 256.

:func:`dense_propagate_reference` is IRN's dense walk, kept for tests and
``benchmarks/random_walk.py`` only.
"""
import math
from typing import List

import torch
from torch import Tensor

from .path_index import PathIndex

WALK_METHODS = ('chebyshev', 'power')


class _FlatGrid:
    """Flat layout of maps on an h x w grid for offsets up to ``pad``.

    A buffer is ``(n, size)``: ``pad`` zero rows, the h image rows each
    followed by ``pad`` zeros (which also serve as the left margin of the
    next row), ``pad`` zero rows, and ``pad`` zeros at both ends. Offset
    ``(dy, dx)`` with ``|dy|, |dx| <= pad`` is then the flat shift
    ``dy * (w + pad) + dx``, and ``interior(buf, shift)`` is the contiguous
    (n, h * (w + pad)) slice seen from there; everything outside the image
    reads as 0.
    """

    def __init__(self, height: int, width: int, pad: int,
                 like: Tensor) -> None:
        self.height, self.width = height, width
        self.row = width + pad
        self.length = height * self.row
        self.base = pad * self.row + pad
        self.size = (height + 2 * pad) * self.row + 2 * pad
        self.like = like

    def shift(self, dy: int, dx: int) -> int:
        return dy * self.row + dx

    def zeros(self, n: int) -> Tensor:
        return self.like.new_zeros(n, self.size)

    def interior(self, buf: Tensor, shift: int = 0) -> Tensor:
        start = self.base + shift
        return buf[:, start:start + self.length]

    def image(self, buf: Tensor) -> Tensor:
        """(n, h, w) view of the image pixels of a buffer."""
        rows = self.interior(buf).view(-1, self.height, self.row)
        return rows[:, :, :self.width]


class _Operator:
    """``W = A^beta`` (self-loops 1) and ``S^-1`` of a path index's pairs.

    Args:
        boundary (Tensor): (h, w) boundary map.
        path_index (PathIndex): The pairs.
        beta (float): Affinity exponent (> 0).
    """

    def __init__(self, boundary: Tensor, path_index: PathIndex,
                 beta: float) -> None:
        height, width = boundary.shape
        self.grid = grid = _FlatGrid(height, width, path_index.pad, boundary)
        self.shifts = [
            grid.shift(dy, dx) for dy, dx in path_index.directions.tolist()
        ]
        # Plane d holds a_ij^beta of the pair (j, j + d) at its source j;
        # pairs leaving the grid have affinity 0, pad columns stay 0.
        self.planes = grid.zeros(len(self.shifts))
        pairs = grid.image(self.planes)
        path_index.affinity(boundary.clamp(0, 1)[None], out=pairs[None])
        pairs.clamp_(0, 1).pow_(beta)
        # Column sums 1 + sum_d (w_d[j] + w_d[j - d]), inverted; summed in
        # float64 so that a float32 walk's columns sum to 1 up to one
        # rounding (the error would otherwise grow with every step).
        colsum = torch.ones_like(self.plane(0), dtype=torch.float64)
        for d, shift in enumerate(self.shifts):
            colsum.add_(self.plane(d).double())
            colsum.add_(self.plane(d, -shift).double())
        self.inv_colsum = grid.zeros(1)
        grid.interior(self.inv_colsum).copy_(colsum.reciprocal_())

    def plane(self, d: int, shift: int = 0) -> Tensor:
        return self.grid.interior(self.planes[d:d + 1], shift)

    def apply(self, src: Tensor, dst: Tensor) -> Tensor:
        """``dst <- S^-1 W src`` on the interiors; returns dst's."""
        grid = self.grid
        out = grid.interior(dst)
        out.copy_(grid.interior(src))
        for d, shift in enumerate(self.shifts):
            out.addcmul_(grid.interior(src, shift), self.plane(d))
            out.addcmul_(grid.interior(src, -shift), self.plane(d, -shift))
        return out.mul_(grid.interior(self.inv_colsum))


def chebyshev_power_coefficients(power: int) -> List[float]:
    """Chebyshev coefficients of ``lambda^power``.

    ``lambda^n = sum_k c_k T_k(lambda)`` with ``c_k = 2^(1-n) C(n, (n-k)/2)``
    for ``k > 0``, ``n - k`` even, and ``c_0 = 2^-n C(n, n/2)``.

    Args:
        power (int): n >= 0.

    Returns:
        list[float]: ``c_0 .. c_n`` (they sum to 1).
    """
    coeffs = [0.0] * (power + 1)
    for k in range(power % 2, power + 1, 2):
        m = (power - k) // 2
        log_c = (math.lgamma(power + 1) - math.lgamma(m + 1) -
                 math.lgamma(power - m + 1) - power * math.log(2.0))
        coeffs[k] = math.exp(log_c) * (1.0 if k == 0 else 2.0)
    return coeffs


def chebyshev_degree(power: int, tail_tol: float) -> int:
    """Smallest degree whose dropped Chebyshev coefficients sum <= tol.

    Args:
        power (int): The exponent n.
        tail_tol (float): Allowed sum of ``|c_k|`` for ``k > degree``.

    Returns:
        int: The truncation degree (<= ``power``).
    """
    coeffs = chebyshev_power_coefficients(power)
    tail = 0.0
    for k in range(power, -1, -1):
        if tail + coeffs[k] > tail_tol:
            return k
        tail += coeffs[k]
    return 0


def num_products(path_index: PathIndex,
                 height: int,
                 width: int,
                 exp_times: int = 8,
                 method: str = 'chebyshev',
                 tol: float = 1e-6) -> int:
    """Sparse products :func:`propagate` takes on an h x w grid.

    ``2^exp_times`` for ``'power'``; for ``'chebyshev'`` the truncation
    degree whose dropped coefficients sum to at most
    ``tol / sqrt((2D + 1) h w)`` (never more than ``2^exp_times``).
    """
    steps = 2**exp_times
    if method == 'power':
        return steps
    offsets = 2 * len(path_index) + 1
    return min(steps,
               chebyshev_degree(steps,
                                tol / math.sqrt(offsets * height * width)))


def propagate(cams: Tensor,
              boundary: Tensor,
              path_index: PathIndex,
              beta: float = 10.0,
              exp_times: int = 8,
              method: str = 'chebyshev',
              tol: float = 1e-6,
              chunk_size: int = 32) -> Tensor:
    """IRN's random walk of CAMs on boundary affinities, sparse.

    ``rw_c = vec(cam_c * (1 - B)) T^(2^exp_times)`` with ``T`` the
    column-normalised ``A^beta`` of the path index's pairs (self-loops
    ``a_ii = 1``), IRN eq. 11-12. Memory is O(D N) for N grid pixels and D
    directions, plus the (K, h, w) result; runs on the device of ``cams``.

    Args:
        cams (Tensor): (K, h, w) CAMs on the stride-4 grid.
        boundary (Tensor): (h, w) class boundary probabilities in [0, 1].
        path_index (PathIndex): The pairs (IRN: radius 5).
        beta (float): Exponent of the affinities, > 0. Defaults to 10.
        exp_times (int): The walk takes ``2^exp_times`` steps. Defaults
            to 8.
        method (str): ``'chebyshev'`` (default; the same ``T^t`` to within
            ``tol``, in fewer products) or ``'power'`` (``t`` products).
        tol (float): Largest change of any walked value caused by
            truncating the Chebyshev series, relative to the largest CAM
            value (``'chebyshev'`` only). Defaults to 1e-6.
        chunk_size (int): CAM channels walked at a time (bounds the
            buffers' memory). Defaults to 32.

    Returns:
        Tensor: (K, h, w) walked CAMs, dtype and device of ``cams``.
    """
    if cams.dim() != 3:
        raise ValueError(f'cams must be (K, h, w), got {tuple(cams.shape)}')
    if boundary.shape != cams.shape[1:]:
        raise ValueError(f'boundary must be (h, w) = {tuple(cams.shape[1:])}'
                         f' like the CAMs, got {tuple(boundary.shape)}')
    if method not in WALK_METHODS:
        raise ValueError(f'method must be one of {WALK_METHODS}, got '
                         f'{method!r}')
    if exp_times < 0:
        raise ValueError(f'exp_times must be >= 0, got {exp_times}')
    if not beta > 0:
        raise ValueError(f'beta must be > 0, got {beta}')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    num_maps, height, width = cams.shape
    with torch.no_grad():
        boundary = boundary.to(cams)
        if num_maps == 0:
            return cams.clone()
        steps = 2**exp_times
        degree = num_products(path_index, height, width, exp_times, method,
                              tol)
        op = _Operator(boundary, path_index, beta)
        grid = op.grid
        out = cams.new_empty(num_maps, height, width)
        n = min(chunk_size, num_maps)
        bufs = [grid.zeros(n) for _ in range(3 if degree < steps else 2)]
        mask = 1.0 - boundary
        for start in range(0, num_maps, n):
            stop = min(start + n, num_maps)
            views = [b[:stop - start] for b in bufs]
            grid.image(views[0]).copy_(cams[start:stop]).mul_(mask)
            if degree >= steps:
                _power_walk(op, views, steps, out[start:stop])
            else:
                _chebyshev_walk(op, views, steps, degree, out[start:stop])
        return out


def _power_walk(op: _Operator, bufs: List[Tensor], steps: int,
                out: Tensor) -> None:
    """``out <- (S^-1 W)^steps q_0``, ``q_0`` in ``bufs[0]``."""
    src, dst = bufs[0], bufs[1]
    for _ in range(steps):
        op.apply(src, dst)
        src, dst = dst, src
    out.copy_(op.grid.image(src))


def _chebyshev_walk(op: _Operator, bufs: List[Tensor], steps: int,
                    degree: int, out: Tensor) -> None:
    """``out <- sum_k c_k q_k`` up to ``degree``, ``q_0`` in ``bufs[0]``."""
    image = op.grid.image
    coeffs = chebyshev_power_coefficients(steps)
    prev, cur, nxt = bufs
    out.copy_(image(prev)).mul_(coeffs[0])
    op.apply(prev, cur)  # q_1 = S^-1 W q_0
    if coeffs[1]:
        out.add_(image(cur), alpha=coeffs[1])
    for k in range(2, degree + 1):
        op.apply(cur, nxt).mul_(2.0).sub_(op.grid.interior(prev))
        if coeffs[k]:
            out.add_(image(nxt), alpha=coeffs[k])
        prev, cur, nxt = cur, nxt, prev


def dense_propagate_reference(cams: Tensor,
                              boundary: Tensor,
                              path_index: PathIndex,
                              beta: float = 10.0,
                              exp_times: int = 8) -> Tensor:
    """IRN's dense random walk: REFERENCE ONLY (tests and the benchmark).

    Builds the N x N affinity matrix (``a_ii = 1``, both ``a_ij`` and
    ``a_ji`` from the path index's pairs), raises it to ``beta``,
    normalises its columns into ``T`` and squares ``T`` ``exp_times``
    times, as IRN's release does: O(N^2) memory and O(N^3) time per
    squaring. Never used by the package's own code.

    Args:
        cams (Tensor): (K, h, w) CAMs on the stride-4 grid.
        boundary (Tensor): (h, w) boundary probabilities in [0, 1].
        path_index (PathIndex): The pairs.
        beta (float): Exponent of the affinities. Defaults to 10.
        exp_times (int): Number of squarings. Defaults to 8.

    Returns:
        Tensor: (K, h, w) walked CAMs.
    """
    num_maps, height, width = cams.shape
    n = height * width
    with torch.no_grad():
        boundary = boundary.to(cams)
        aff = path_index.affinity(boundary.clamp(0, 1)[None])[0]
        valid = path_index.valid_mask(height, width, device=cams.device)
        index = torch.arange(n, device=cams.device).view(height, width)
        trans = torch.eye(n, dtype=cams.dtype, device=cams.device)
        for d, (dy, dx) in enumerate(path_index.directions.tolist()):
            src = index[valid[d]]
            dst = src + dy * width + dx
            trans[src, dst] = aff[d][valid[d]]
            trans[dst, src] = aff[d][valid[d]]
        del aff
        trans.pow_(beta)
        trans.div_(trans.sum(dim=0, keepdim=True))
        for _ in range(exp_times):
            trans = trans @ trans
        x = (cams * (1.0 - boundary)).reshape(num_maps, n)
        return (x @ trans).view(num_maps, height, width)
