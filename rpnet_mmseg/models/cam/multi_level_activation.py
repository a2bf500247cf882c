"""Multi-level activation and confident map (paper eqs. 3-4)."""
from typing import List, Sequence, Tuple

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseg.registry import MODELS


def normalize_by_spatial_max(feat: Tensor, eps: float = 1e-5) -> Tensor:
    """``g(f_n / max f_n)`` of eq. 3: each channel divided by its spatial max.

    Args:
        feat (Tensor): Features of shape (B, C, H, W).
        eps (float): Lower bound of the divisor. Defaults to 1e-5.

    Returns:
        Tensor: ReLU of the max-normalised features, values in [0, 1].
    """
    peak = feat.amax(dim=(2, 3), keepdim=True).clamp(min=eps)
    return F.relu(feat / peak)


@MODELS.register_module()
class MultiLevelActivation(BaseModule):
    """Object activations of several backbone blocks (eqs. 3-4).

    For every selected block ``n``: ``O_n = conv_1x1(g(f_n / max f_n))`` maps
    the block into a common ``proj_channels``-dimensional space where
    prototypes and the last block's features can be compared (eq. 3), and the
    class-agnostic confident map ``O'_n`` is the maximum over channels (eq.
    4). The image-level label is not used here.

    ``O'_n`` is taken over the max-normalised activations ``g(f_n / max f_n)``
    (values in [0, 1], so the threshold ``alpha = 0.3`` of eq. 6 has a fixed
    meaning), as the authors' release does, rather than over the projection,
    whose scale is arbitrary at initialisation.

    Args:
        in_channels (Sequence[int]): Channels of each selected block.
        proj_channels (int): Channels of the 1x1 projection (256 in the paper,
            512 in the authors' release). Defaults to 256.
        eps (float): Lower bound of the max used for normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 proj_channels: int = 256,
                 eps: float = 1e-5,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.eps = eps
        self.projs = nn.ModuleList(
            nn.Conv2d(c, proj_channels, 1, bias=False) for c in in_channels)
        for proj in self.projs:
            nn.init.kaiming_normal_(proj.weight)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[List[Tensor],
                                                        List[Tensor]]:
        """Project each block and compute its confident map.

        Args:
            feats (Sequence[Tensor]): One (B, C_n, H_n, W_n) map per block.

        Returns:
            tuple[list[Tensor], list[Tensor]]: ``O_n`` (B, P, H_n, W_n) and
            ``O'_n`` (B, 1, H_n, W_n) for every block.
        """
        if len(feats) != len(self.projs):
            raise ValueError(f'expected {len(self.projs)} feature maps, '
                             f'got {len(feats)}')
        activations, confidences = [], []
        for feat, proj in zip(feats, self.projs):
            normed = normalize_by_spatial_max(feat, self.eps)
            activations.append(proj(normed))
            confidences.append(normed.amax(dim=1, keepdim=True))
        return activations, confidences
