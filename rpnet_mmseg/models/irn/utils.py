"""Small tensor helpers shared by IRN's heads and segmentor."""
import math
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def upsample_to(x: Tensor, size: Sequence[int]) -> Tensor:
    """Upsample a feature map by whole factors and crop it to ``size``.

    IRN's way of bringing a stride-8 or stride-16 map to stride 4: bilinear
    upsampling (``align_corners=False``) by the integer factor
    ``ceil(size / x.size)`` per axis, then the top-left ``size`` window. For
    sizes that divide evenly this equals a plain resize to ``size``; for the
    others it keeps the pixel grid of the finer map aligned with the
    coarser one (a resize to ``size`` would stretch it).

    Args:
        x (Tensor): (B, C, h, w) features.
        size (Sequence[int]): Target (H, W), each >= the input's.

    Returns:
        Tensor: (B, C, H, W).
    """
    out_h, out_w = int(size[0]), int(size[1])
    h, w = x.shape[-2:]
    if (h, w) == (out_h, out_w):
        return x
    if h > out_h or w > out_w:
        raise ValueError(f'cannot upsample a {h}x{w} map to the smaller '
                         f'{out_h}x{out_w}')
    fh, fw = math.ceil(out_h / h), math.ceil(out_w / w)
    x = F.interpolate(
        x, scale_factor=(fh, fw), mode='bilinear', align_corners=False)
    return x[..., :out_h, :out_w]


def finest_size(feats: Sequence[Tensor]) -> Tuple[int, int]:
    """Spatial size of the largest feature map of a list."""
    return max((tuple(f.shape[-2:]) for f in feats),
               key=lambda hw: hw[0] * hw[1])


def gather_destinations(x: Tensor, offsets: Tensor) -> Tensor:
    """Values at ``x_i + offset`` for every pixel ``i`` and every offset.

    Args:
        x (Tensor): (B, C, H, W) map.
        offsets (Tensor): (D, 2) integer offsets (dy, dx).

    Returns:
        Tensor: (B, C, D, H, W); entry ``[:, :, d, y, x]`` is
        ``x[:, :, y + dy, x + dx]``, or 0 where that lies outside the map
        (mask such pairs with the path index's ``valid_mask``).
    """
    offsets = torch.as_tensor(offsets).long().cpu()
    h, w = x.shape[-2:]
    pad = int(offsets.abs().max()) if offsets.numel() else 0
    padded = F.pad(x, (pad, pad, pad, pad))
    outs = [
        padded[..., pad + dy:pad + dy + h, pad + dx:pad + dx + w]
        for dy, dx in offsets.tolist()
    ]
    return torch.stack(outs, dim=2)


def sample_label_grid(label: Tensor, size: Sequence[int]) -> Tensor:
    """Nearest-neighbour label map on a coarser grid, at pixel centres.

    Cell ``(i, j)`` of the output takes the label at the input pixel under
    the cell's centre, ``floor((i + 0.5) * H / h)`` (PIL's nearest
    rescaling, which IRN uses to bring its 512 crop's relation label to the
    128 x 128 stride-4 grid).

    Args:
        label (Tensor): (B, H, W) integer labels.
        size (Sequence[int]): Output (h, w).

    Returns:
        Tensor: (B, h, w) labels.
    """
    in_h, in_w = label.shape[-2:]
    out_h, out_w = int(size[0]), int(size[1])
    ys = ((torch.arange(out_h, device=label.device) + 0.5) * in_h /
          out_h).long().clamp(max=in_h - 1)
    xs = ((torch.arange(out_w, device=label.device) + 0.5) * in_w /
          out_w).long().clamp(max=in_w - 1)
    return label[:, ys][:, :, xs]
