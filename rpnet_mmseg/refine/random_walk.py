"""IRN's random walk with sparse products: memory linear in the pixels.

IRN (Ahn, Cho, Kwak, CVPR 2019, section 3.4; METHOD.md section 3) spreads
the CAMs over the stride-4 grid along the affinities of its path index at
radius 5:

    A = [a_ij] with a_ii = 1 and a_ij = a_ji,       (IRN eq. 2, symmetric)
    T = A^beta D^-1,  D = diag(column sums of A^beta),    (IRN eq. 11)
    vec(rw_c) = vec(cam_c * (1 - B)) T^t,  t = 2^exp_times.  (IRN eq. 12)

IRN's release builds ``T`` as a dense N x N matrix and squares it
``exp_times`` times: N^2 memory (0.55 GB for one 500 x 375 image) and
N^3 time per squaring. ``A`` has at most ``2 D + 1`` non-zeros per column
(D = 34 directions at radius 5), so here ``T`` is never formed: it is
applied as a stencil of ``2 D + 1`` neighbour offsets on the grid (one
multiply-add per offset on a flat, zero-padded copy of the K maps), which
costs O(D N) memory and O(D N K) time per product.

Two ways to evaluate ``x T^t``, both with those sparse products only:

- ``'power'``: ``t`` products, literally IRN's ``T^t``.
- ``'chebyshev'`` (default): ``T = D^1/2 M D^-1/2`` with the symmetric
  ``M = D^-1/2 A^beta D^-1/2`` whose eigenvalues lie in [-1, 1] (it is
  similar to the stochastic ``T``), and ``lambda^t`` is expanded in
  Chebyshev polynomials, ``lambda^t = sum_k c_k T_k(lambda)`` with
  ``c_k = 2^(1-t) C(t, (t-k)/2)`` (half of that for k = 0). The
  coefficients are the distribution of a simple random walk, so they are
  negligible beyond ``k ~ 6 sqrt(t)``: truncating where their tail is below
  ``tol / sqrt((2D + 1) N)`` changes no value by more than ``tol`` times the
  largest CAM value (``|T_k| <= 1`` on [-1, 1], and the similarity costs at
  most ``sqrt(max column sum) * ||x||_2``). For ``t = 256`` at VOC size that
  is about 96 products instead of 256, by the three-term recurrence
  ``T_{k+1}(M) u = 2 M T_k(M) u - T_{k-1}(M) u``.

:func:`dense_propagate_reference` is IRN's dense walk, kept for tests and
``benchmarks/random_walk.py`` only.
"""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .path_index import PathIndex

WALK_METHODS = ('chebyshev', 'power')


def _shift(x: Tensor, dy: int, dx: int) -> Tensor:
    """``out[..., y, x] = x[..., y + dy, x + dx]``, 0 outside the map."""
    height, width = x.shape[-2:]
    p = max(abs(dy), abs(dx))
    if p == 0:
        return x
    padded = F.pad(x, (p, p, p, p))
    return padded[..., p + dy:p + dy + height, p + dx:p + dx + width]


class _FlatStencil:
    """``y_j = sum_o w_o[j] x_{j + o}`` on an h x w grid, K maps at once.

    The maps live in flat buffers ``(K, size)``: rows of ``w + pad`` values
    (the image row, then ``pad`` zeros that also serve as the left margin
    of the next row), with ``pad`` zero rows above and below. An offset
    ``(dy, dx)`` with ``|dy|, |dx| <= pad`` is then a constant shift
    ``dy * (w + pad) + dx`` of the flat index, and each term of the stencil
    is one multiply-add on contiguous slices.

    Args:
        weights (Tensor): (O, h, w) weight of each offset at each pixel.
        offsets (Sequence[tuple]): The O offsets ``(dy, dx)``.
        pad (int): Largest ``|dy|`` and ``|dx|``.
    """

    def __init__(self, weights: Tensor, offsets: Sequence[Tuple[int, int]],
                 pad: int) -> None:
        num_offsets, height, width = weights.shape
        self.height, self.width, self.pad = height, width, pad
        self.row = width + pad
        self.length = height * self.row
        self.base = pad * self.row + pad
        self.size = (height + 2 * pad) * self.row + 2 * pad
        self.shifts = [dy * self.row + dx for dy, dx in offsets]
        flat = weights.new_zeros(num_offsets, height, self.row)
        flat[:, :, :width] = weights
        self.weights = flat.view(num_offsets, self.length)

    def new_buffer(self, channels: int) -> Tensor:
        return self.weights.new_zeros(channels, self.size)

    def interior(self, buf: Tensor, shift: int = 0) -> Tensor:
        start = self.base + shift
        return buf[:, start:start + self.length]

    def load(self, buf: Tensor, x: Tensor) -> None:
        view = self.interior(buf).view(-1, self.height, self.row)
        view[:, :, :self.width] = x

    def unload(self, buf: Tensor) -> Tensor:
        view = self.interior(buf).view(-1, self.height, self.row)
        return view[:, :, :self.width].contiguous()

    def apply(self, src: Tensor, dst: Tensor) -> None:
        """``dst <- stencil(src)`` on the interiors (margins stay zero)."""
        out = self.interior(dst)
        torch.mul(self.interior(src, self.shifts[0]), self.weights[0], out=out)
        for shift, weight in zip(self.shifts[1:], self.weights[1:]):
            out.addcmul_(self.interior(src, shift), weight)


def _pair_weights(boundary: Tensor, path_index: PathIndex,
                  beta: float) -> Tensor:
    """(D, h, w) ``a_ij^beta`` of each pair, 0 where ``j`` is outside."""
    aff = path_index.affinity(boundary.clamp(0, 1)[None])[0]
    return aff.clamp_(0, 1).pow_(beta)


def _offsets(path_index: PathIndex) -> List[Tuple[int, int]]:
    """Self, the half-disk directions, then their opposites."""
    dirs = [tuple(d) for d in path_index.directions.tolist()]
    return [(0, 0)] + dirs + [(-dy, -dx) for dy, dx in dirs]


def _in_weights(pair_w: Tensor, path_index: PathIndex) -> Tensor:
    """(2D + 1, h, w): ``A^beta[j + o, j]`` for each offset ``o`` at ``j``.

    A pair ``(i, i + d)`` stores its weight at its source ``i``; seen from
    ``j``, offset ``+d`` is the pair with source ``j`` and offset ``-d`` the
    pair with source ``j - d``.
    """
    dirs = path_index.directions.tolist()
    back = [_shift(pair_w[k], -dy, -dx) for k, (dy, dx) in enumerate(dirs)]
    ones = torch.ones_like(pair_w[:1])
    return torch.cat([ones, pair_w, torch.stack(back)], dim=0)


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
              tol: float = 1e-6) -> Tensor:
    """IRN's random walk of CAMs on boundary affinities, sparse.

    ``rw_c = vec(cam_c * (1 - B)) T^(2^exp_times)`` with ``T`` the
    column-normalised ``A^beta`` of the path index's pairs (self-loops
    ``a_ii = 1``), IRN eq. 11-12. Memory is O(D N + K N) for N grid pixels
    and D directions; runs on the device of ``cams``.

    Args:
        cams (Tensor): (K, h, w) CAMs on the stride-4 grid.
        boundary (Tensor): (h, w) class boundary probabilities in [0, 1].
        path_index (PathIndex): The pairs (IRN: radius 5).
        beta (float): Exponent of the affinities. Defaults to 10.
        exp_times (int): The walk takes ``2^exp_times`` steps. Defaults
            to 8.
        method (str): ``'chebyshev'`` (default; the same ``T^t`` to within
            ``tol``, in fewer products) or ``'power'`` (``t`` products).
        tol (float): Largest change of any walked value caused by
            truncating the Chebyshev series, relative to the largest CAM
            value (``'chebyshev'`` only). Defaults to 1e-6.

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
    steps = 2**exp_times
    num_maps, height, width = cams.shape
    with torch.no_grad():
        boundary = boundary.to(cams)
        x = cams * (1.0 - boundary)
        if num_maps == 0 or steps == 0:
            return x
        w_in = _in_weights(_pair_weights(boundary, path_index, beta),
                           path_index)
        colsum = w_in.sum(0)
        offsets = _offsets(path_index)
        pad = path_index.pad
        degree = num_products(path_index, height, width, exp_times, method,
                              tol)
        if degree >= steps:
            # T = A^beta D^-1: T[j + o, j] = w_in[o, j] / colsum[j].
            stencil = _FlatStencil(w_in.div_(colsum), offsets, pad)
            del w_in
            src, dst = stencil.new_buffer(num_maps), \
                stencil.new_buffer(num_maps)
            stencil.load(src, x)
            for _ in range(steps):
                stencil.apply(src, dst)
                src, dst = dst, src
            return stencil.unload(src)
        return _chebyshev_walk(x, w_in, colsum, offsets, pad, steps, degree)


def _chebyshev_walk(x: Tensor, w_in: Tensor, colsum: Tensor,
                    offsets: Sequence[Tuple[int, int]], pad: int,
                    steps: int, degree: int) -> Tensor:
    """``x T^steps`` by a degree-``degree`` Chebyshev series in ``M``."""
    rsqrt = colsum.rsqrt()
    # 2 M[j + o, j] = 2 w_in[o, j] / sqrt(colsum[j] colsum[j + o]); the
    # factor 2 of the recurrence is folded into the stencil.
    for k, (dy, dx) in enumerate(offsets):
        w_in[k].mul_(rsqrt).mul_(_shift(rsqrt, dy, dx)).mul_(2.0)
    stencil = _FlatStencil(w_in, offsets, pad)
    del w_in
    coeffs = chebyshev_power_coefficients(steps)
    num_maps = x.shape[0]
    prev, cur, nxt = (stencil.new_buffer(num_maps) for _ in range(3))
    stencil.load(prev, x * colsum.sqrt())  # u = D^1/2 x, T_0(M) u
    acc = stencil.interior(prev) * coeffs[0]
    stencil.apply(prev, cur)  # 2 M u
    stencil.interior(cur).mul_(0.5)  # T_1(M) u = M u
    if coeffs[1]:
        acc.add_(stencil.interior(cur), alpha=coeffs[1])
    for k in range(2, degree + 1):
        stencil.apply(cur, nxt)
        stencil.interior(nxt).sub_(stencil.interior(prev))
        if coeffs[k]:
            acc.add_(stencil.interior(nxt), alpha=coeffs[k])
        prev, cur, nxt = cur, nxt, prev
    out = acc.view(num_maps, stencil.height, stencil.row)
    return out[:, :, :stencil.width] * rsqrt


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
