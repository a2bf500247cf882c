"""Pseudo-labels from CAMs by IRN's random walk (IRN section 3.4)."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .path_index import PathIndex
from .random_walk import propagate


def walked_bg_power(threshold: float) -> float:
    """Exponent ``a`` with ``(1 - t) ** a = t``.

    The walked background ``(1 - max CAM) ** a`` then equals a CAM score of
    ``t`` where the CAM is ``t``: background where the CAM is below its
    chosen background threshold, before the walk.

    Args:
        threshold (float): The CAMs' background threshold t, in (0, 1).

    Returns:
        float: ``log(t) / log(1 - t)``.
    """
    t = float(threshold)
    if not 0 < t < 1:
        raise ValueError(f'background threshold must be in (0, 1), got {t}')
    return math.log(t) / math.log(1 - t)


def walk_to_pseudo_label(cams_stride4: Tensor,
                         keys: Tensor,
                         boundary: Tensor,
                         img_shape: Sequence[int],
                         path_index: PathIndex,
                         beta: float = 10.0,
                         exp_times: int = 8,
                         bg_threshold: float = 0.25,
                         stride: int = 4,
                         method: str = 'chebyshev',
                         bg_mode: str = 'constant',
                         bg_power: Optional[float] = None) -> Tensor:
    """Walk the CAMs, then IRN's upsampling, normalisation and argmax.

    ``bg_mode='constant'`` (IRN): the walked CAMs (:func:`propagate`) are
    upsampled ``stride`` times (bilinear, ``align_corners=False``) and
    cropped to the image, divided by their global maximum, a constant
    background score ``bg_threshold`` is put in front, and the argmax is
    mapped to class ids (0 background, ``keys + 1`` for the CAM channels),
    as IRN's ``make_sem_seg_labels``.

    ``bg_mode='walked'`` (AffinityNet's background, Ahn & Kwak, CVPR 2018):
    a background map ``(1 - max_k CAM_k) ** bg_power`` is walked together
    with the CAMs, so that the background, too, spreads only inside the
    regions the boundaries close; the argmax of the upsampled walk is the
    label (no normalisation, ``bg_threshold`` unused). Measured on the MSRC
    demo (docs/en/irn.md), where IRN's constant background lets the walked
    class fill its surroundings.

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
        bg_mode (str): 'constant' (IRN) or 'walked' (see above).
            Defaults to 'constant'.
        bg_power (float, optional): Exponent of the walked background map;
            required by ``bg_mode='walked'``.

    Returns:
        Tensor: (H, W) int64 class ids in ``{0} U (keys + 1)``, on the
        device of ``cams_stride4``.
    """
    if bg_mode not in ('constant', 'walked'):
        raise ValueError(
            f"bg_mode must be 'constant' or 'walked', got {bg_mode!r}")
    if bg_mode == 'walked' and (bg_power is None or not bg_power > 0):
        raise ValueError("bg_mode='walked' needs a positive bg_power, got "
                         f'{bg_power!r}')
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
    cams = cams_stride4.float()
    if bg_mode == 'walked':
        background = (1 - cams.max(dim=0, keepdim=True)[0]).clamp(0, 1)
        cams = torch.cat([background**bg_power, cams])
    walked = propagate(
        cams,
        boundary.float(),
        path_index,
        beta=beta,
        exp_times=exp_times,
        method=method)
    if bg_mode == 'constant':
        return walked_to_label(walked, keys, (height, width), bg_threshold,
                               stride)
    up = F.interpolate(
        walked[None],
        scale_factor=stride,
        mode='bilinear',
        align_corners=False)[0, :, :height, :width]
    class_ids = torch.cat([keys.new_zeros(1), keys + 1])
    return class_ids[up.argmax(dim=0)]


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
