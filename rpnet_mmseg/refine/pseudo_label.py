"""Pseudo-labels from CAMs by IRN's random walk (IRN section 3.4)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .path_index import PathIndex
from .random_walk import propagate


def walk_to_pseudo_label(cams_stride4: Tensor,
                         keys: Tensor,
                         boundary: Tensor,
                         img_shape: Sequence[int],
                         path_index: PathIndex,
                         beta: float = 10.0,
                         exp_times: int = 8,
                         bg_threshold: float = 0.25,
                         stride: int = 4,
                         method: str = 'chebyshev') -> Tensor:
    """Walk the CAMs, then IRN's upsampling, normalisation and argmax.

    The walked CAMs (:func:`propagate`) are upsampled ``stride`` times
    (bilinear, ``align_corners=False``) and cropped to the image, divided
    by their global maximum, a constant background score ``bg_threshold``
    is put in front, and the argmax is mapped to class ids (0 background,
    ``keys + 1`` for the CAM channels), as IRN's ``make_sem_seg_labels``.

    Args:
        cams_stride4 (Tensor): (K, h, w) CAMs of the image's classes on the
            stride-4 grid (K may be 0).
        keys (Tensor): (K, ) 0-based foreground class indices of the CAMs.
        boundary (Tensor): (h, w) boundary probabilities.
        img_shape (Sequence[int]): (H, W) of the image; ``h * stride >= H``
            and ``w * stride >= W``.
        path_index (PathIndex): The walk's pairs (IRN: radius 5).
        beta (float): Affinity exponent. Defaults to 10.
        exp_times (int): ``2^exp_times`` walk steps. Defaults to 8.
        bg_threshold (float): Background score after normalisation.
            Defaults to 0.25.
        stride (int): Grid stride of the CAMs. Defaults to 4.
        method (str): Walk evaluation, see :func:`propagate`.

    Returns:
        Tensor: (H, W) int64 class ids in ``{0} U (keys + 1)``, on the
        device of ``cams_stride4``.
    """
    if cams_stride4.dim() != 3:
        raise ValueError(f'cams_stride4 must be (K, h, w), got '
                         f'{tuple(cams_stride4.shape)}')
    keys = torch.as_tensor(keys, device=cams_stride4.device).long().view(-1)
    if keys.numel() != cams_stride4.shape[0]:
        raise ValueError(f'{keys.numel()} keys for {cams_stride4.shape[0]} '
                         'CAM channels')
    height, width = int(img_shape[0]), int(img_shape[1])
    grid_h, grid_w = cams_stride4.shape[1:]
    if grid_h * stride < height or grid_w * stride < width:
        raise ValueError(f'a {grid_h}x{grid_w} stride-{stride} grid does '
                         f'not cover a {height}x{width} image')
    device = cams_stride4.device
    if keys.numel() == 0:
        return torch.zeros(height, width, dtype=torch.long, device=device)
    walked = propagate(
        cams_stride4.float(),
        boundary.float(),
        path_index,
        beta=beta,
        exp_times=exp_times,
        method=method)
    return walked_to_label(walked, keys, (height, width), bg_threshold,
                           stride)


def walked_to_label(walked: Tensor,
                    keys: Tensor,
                    img_shape: Sequence[int],
                    bg_threshold: float = 0.25,
                    stride: int = 4) -> Tensor:
    """IRN's steps after the walk: upsample, normalise, background, argmax.

    Args:
        walked (Tensor): (K, h, w) walked CAMs on the stride-``stride`` grid.
        keys (Tensor): (K, ) 0-based foreground class indices.
        img_shape (Sequence[int]): (H, W) of the image.
        bg_threshold (float): Background score after normalisation.
            Defaults to 0.25.
        stride (int): Grid stride. Defaults to 4.

    Returns:
        Tensor: (H, W) int64 class ids in ``{0} U (keys + 1)``.
    """
    height, width = int(img_shape[0]), int(img_shape[1])
    keys = torch.as_tensor(keys, device=walked.device).long().view(-1)
    if keys.numel() == 0:
        return torch.zeros(
            height, width, dtype=torch.long, device=walked.device)
    up = F.interpolate(
        walked[None],
        scale_factor=stride,
        mode='bilinear',
        align_corners=False)[0, :, :height, :width]
    peak = up.max()
    if not peak > 0:  # no activation anywhere: all background
        return torch.zeros(
            height, width, dtype=torch.long, device=walked.device)
    scores = torch.cat([up.new_full((1, height, width), bg_threshold),
                        up / peak])
    class_ids = torch.cat([keys.new_zeros(1), keys + 1])
    return class_ids[scores.argmax(dim=0)]
