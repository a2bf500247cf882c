"""Pixel pairs within a radius and their boundary affinities (IRN).

IRN (Ahn, Cho, Kwak, CVPR 2019, section 3.2) relates every pixel ``i`` of
the stride-4 feature grid to every pixel ``j`` with ``0 < |i - j| < radius``
and measures their affinity on the class boundary map ``B``:

    a_ij = 1 - max_{k in path(i, j)} B(x_k)                        (IRN eq. 2)

the path being the grid pixels on the straight line from ``i`` to ``j``.
Training uses radius 10, the random walk radius 5 (docs/en/method.md
section 3.3).
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _half_disk(radius: int) -> List[Tuple[int, int]]:
    """Offsets ``(dy, dx)`` with ``0 < dy^2 + dx^2 < radius^2`` on a half.

    The half disk holds ``(0, dx)`` for ``dx > 0`` and every ``(dy, dx)``
    with ``dy > 0``, so of the two offsets ``d`` and ``-d`` of an unordered
    pixel pair exactly one is listed. Row by row, left to right.
    """
    r2 = radius * radius
    dirs = [(0, dx) for dx in range(1, radius) if dx * dx < r2]
    for dy in range(1, radius):
        for dx in range(-radius + 1, radius):
            if dy * dy + dx * dx < r2:
                dirs.append((dy, dx))
    return dirs


def _line_path(dy: int, dx: int) -> List[Tuple[int, int]]:
    """Grid pixels on the straight line from ``(0, 0)`` to ``(dy, dx)``.

    A pixel of the bounding box of the two ends is on the path when its
    centre lies less than one pixel from the line through them, i.e.
    ``(dy * x - dx * y)^2 < dy^2 + dx^2``; the path is ordered from the
    source to the destination and contains both.
    """
    length_sq = dy * dy + dx * dx
    coords = []
    for y in range(min(0, dy), max(0, dy) + 1):
        for x in range(min(0, dx), max(0, dx) + 1):
            if (dy * x - dx * y)**2 < length_sq:
                coords.append((y, x))
    coords.sort(key=lambda p: p[0] * dy + p[1] * dx)
    return coords


class _PathMax(torch.autograd.Function):
    """Max of a padded map along each direction's path, memory-light.

    The forward pass keeps only the position of the maximum on each path
    (uint8), not the path values, so training at radius 10 stores
    ``B x D x H x W`` bytes instead of ``sum(path lengths)`` float maps. The
    gradient of the max goes to the first maximal pixel of the path.
    """

    @staticmethod
    def forward(ctx, padded: Tensor, index: 'PathIndex', height: int,
                width: int) -> Tensor:
        out, arg = index._path_max(padded, height, width, with_arg=True)
        ctx.save_for_backward(arg)
        ctx.index, ctx.hw, ctx.padded_shape = index, (height, width), \
            padded.shape
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        arg, = ctx.saved_tensors
        index, (height, width) = ctx.index, ctx.hw
        grad = grad_out.new_zeros(ctx.padded_shape)
        for d, path in enumerate(index._path_lists):
            g, a = grad_out[:, d], arg[:, d]
            for k, (py, px) in enumerate(path):
                window = index._window(grad, py, px, height, width)
                window.sub_(torch.where(a == k, g, torch.zeros_like(g)))
        return grad, None, None, None


class PathIndex:
    """The pixel pairs of IRN's affinities on a grid, within a radius.

    Each unordered pair of pixels closer than ``radius`` (Euclidean, on the
    grid) is counted once, by its offset ``(dy, dx)`` from the source to the
    destination on a half disk: ``dy > 0``, or ``dy == 0`` and ``dx > 0``,
    with ``0 < dy^2 + dx^2 < radius^2``. That gives IRN's 34 directions at
    radius 5 and 152 at radius 10 (docs/en/method.md section 3.3). The
    class holds no tensors of a device: every method works on the device of its
    input.

    Args:
        radius (int): Pairs are closer than this (exclusive), >= 2.

    Attributes:
        radius (int): The radius.
        directions (Tensor): (D, 2) int64 offsets ``(dy, dx)``.
        paths (list[Tensor]): For each direction a (L_d, 2) int64 tensor of
            the offsets of the pixels on the straight path from the source
            ``(0, 0)`` to the destination ``(dy, dx)``, both included, in
            that order.
    """

    def __init__(self, radius: int) -> None:
        if isinstance(radius, bool) or not isinstance(radius, int) or \
                radius < 2:
            raise ValueError(f'radius must be an int >= 2, got {radius!r}')
        self.radius = radius
        # Offsets reach dy in [0, radius - 1], dx in [-(radius-1), radius-1].
        self.pad = radius - 1
        dirs = _half_disk(radius)
        self._dir_list = dirs
        self._path_lists = [_line_path(dy, dx) for dy, dx in dirs]
        self.directions = torch.tensor(dirs, dtype=torch.long)
        self.paths = [
            torch.tensor(p, dtype=torch.long) for p in self._path_lists
        ]

    @property
    def num_directions(self) -> int:
        """Number of directions D."""
        return len(self._dir_list)

    def __len__(self) -> int:
        return len(self._dir_list)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(radius={self.radius}, '
                f'num_directions={self.num_directions})')

    # ------------------------------------------------------------ helpers
    def _pad_map(self, x: Tensor, value) -> Tensor:
        """Pad the last two dims so every destination has a pixel.

        ``pad`` columns left and right, ``pad`` rows at the bottom (no
        offset points upwards).
        """
        p = self.pad
        return F.pad(x, (p, p, 0, p), mode='constant', value=value)

    def _window(self, padded: Tensor, dy: int, dx: int, height: int,
                width: int) -> Tensor:
        """View of ``padded`` whose ``[..., y, x]`` is pixel (y+dy, x+dx)."""
        p = self.pad
        return padded[..., dy:dy + height, p + dx:p + dx + width]

    def _check_map(self, x: Tensor, name: str) -> None:
        if not isinstance(x, Tensor) or x.dim() != 3:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x)
            raise ValueError(f'{name} must be a (B, H, W) tensor, got '
                             f'{shape}')

    def _path_max(self,
                  padded: Tensor,
                  height: int,
                  width: int,
                  with_arg: bool = False,
                  out: Optional[Tensor] = None):
        """(B, D, H, W) of ``1 - max`` over each path (and argmax)."""
        batch = padded.shape[0]
        if out is None:
            out = padded.new_empty(batch, self.num_directions, height,
                                   width)
        arg = torch.zeros(
            batch,
            self.num_directions,
            height,
            width,
            dtype=torch.uint8,
            device=padded.device) if with_arg else None
        for d, path in enumerate(self._path_lists):
            cur = self._window(padded, *path[0], height, width)
            for k, (py, px) in enumerate(path[1:], 1):
                val = self._window(padded, py, px, height, width)
                if with_arg:
                    arg[:, d].masked_fill_(val > cur, k)
                cur = torch.maximum(cur, val)
            out[:, d] = 1.0 - cur
        return (out, arg) if with_arg else out

    # ------------------------------------------------------------- public
    def valid_mask(self,
                   height: int,
                   width: int,
                   device: Optional[torch.device] = None) -> Tensor:
        """Which pairs have their destination inside an H x W map.

        Args:
            height (int): Map height.
            width (int): Map width.
            device (torch.device, optional): Device of the mask. Defaults to
                None (CPU).

        Returns:
            Tensor: (D, H, W) bool; ``[d, y, x]`` is True when
            ``(y + dy, x + dx)`` lies in the map.
        """
        ys = torch.arange(height, device=device).view(1, height, 1)
        xs = torch.arange(width, device=device).view(1, 1, width)
        dirs = self.directions.to(device)
        dy, dx = dirs[:, 0].view(-1, 1, 1), dirs[:, 1].view(-1, 1, 1)
        return (ys + dy < height) & (xs + dx >= 0) & (xs + dx < width)

    def affinity(self,
                 boundary: Tensor,
                 out: Optional[Tensor] = None) -> Tensor:
        """Pair affinities from a boundary map (IRN eq. 2).

        ``aff[b, d, y, x] = 1 - max B[b, k]`` over the pixels ``k`` on the
        path from ``(y, x)`` to ``(y + dy_d, x + dx_d)``. Pairs whose
        destination is outside the map get affinity 0 (the map is padded
        with boundary 1, as in IRN's release); mask them with
        :meth:`valid_mask`. Differentiable w.r.t. ``boundary``.

        Args:
            boundary (Tensor): (B, H, W) boundary probabilities in [0, 1].
            out (Tensor, optional): (B, D, H, W) tensor (any strides) to
                write the affinities into, without autograd. Defaults to
                None (a new tensor).

        Returns:
            Tensor: (B, D, H, W) affinities in [0, 1], same dtype and device.
        """
        self._check_map(boundary, 'boundary')
        batch, height, width = boundary.shape
        padded = self._pad_map(boundary, 1.0)
        if torch.is_grad_enabled() and boundary.requires_grad:
            if out is not None:
                raise ValueError('affinity(out=...) does not support '
                                 'autograd')
            return _PathMax.apply(padded, self, height, width)
        shape = (batch, self.num_directions, height, width)
        if out is not None and tuple(out.shape) != shape:
            raise ValueError(f'out must be {shape}, got {tuple(out.shape)}')
        return self._path_max(padded, height, width, out=out)

    def pair_targets(self,
                     label: Tensor,
                     ignore_index: int = 255) -> Dict[str, Tensor]:
        """Relation targets of every pair from a label map (IRN sec. 3.3).

        A pair counts only when both its ends are labelled (not
        ``ignore_index``) and its destination is inside the map.

        Args:
            label (Tensor): (B, H, W) integer labels: 0 background, 1..C
                classes, ``ignore_index`` unknown.
            ignore_index (int): The unknown label. Defaults to 255.

        Returns:
            dict[str, Tensor]: (B, D, H, W) bool masks ``bg_pos`` (both ends
            background), ``fg_pos`` (both ends the same foreground class)
            and ``neg`` (different labels).
        """
        self._check_map(label, 'label')
        if label.is_floating_point():
            raise TypeError(f'label must be an integer tensor, got '
                            f'{label.dtype}')
        batch, height, width = label.shape
        label = label.long()
        padded = self._pad_map(label, ignore_index)
        shape = (batch, self.num_directions, height, width)
        out = {
            key: torch.zeros(shape, dtype=torch.bool, device=label.device)
            for key in ('bg_pos', 'fg_pos', 'neg')
        }
        src_known = label != ignore_index
        src_bg = label == 0
        for d, (dy, dx) in enumerate(self._dir_list):
            dst = self._window(padded, dy, dx, height, width)
            known = src_known & (dst != ignore_index)
            same = dst == label
            out['bg_pos'][:, d] = known & src_bg & (dst == 0)
            out['fg_pos'][:, d] = known & same & ~src_bg
            out['neg'][:, d] = known & ~same
        return out
