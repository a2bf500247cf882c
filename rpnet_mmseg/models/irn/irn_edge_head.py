"""IRN's class-boundary (edge) branch."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from .base_irn_head import BaseIRNHead
from .utils import finest_size, upsample_to


@MODELS.register_module()
class IRNEdgeHead(BaseIRNHead):
    """Class-boundary map from multi-level backbone features (IRN).

    IRN's boundary branch: every selected level goes through a 1x1 conv to
    ``channels`` (no bias), GroupNorm and ReLU, is upsampled to the finest
    level's resolution (stride 4; whole-factor bilinear upsampling then a
    crop, see :func:`upsample_to`), and the concatenation is mapped by a
    1x1 conv (with bias) to one boundary logit. The boundary probability is
    its sigmoid; pair affinities follow from it through a path index
    (``1 - max`` boundary along the path) and are trained by
    ``loss_affinity`` against relation labels.

    IRN's ResNet-50 version feeds five levels (stem, layer1..4; 32 channels
    each, GroupNorm with 4 groups); any backbone's levels work here.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels.
        channels (int): Width of each level's projection. Defaults to 32.
        num_groups (int): GroupNorm groups. Defaults to 4.
        in_index (Sequence[int], optional): Backbone outputs to use, one per
            ``in_channels`` entry. Defaults to None (all, in order).
        loss_affinity (dict): Loss config. Defaults to
            ``dict(type='AffinityLoss')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 32,
                 num_groups: int = 4,
                 in_index: Optional[Sequence[int]] = None,
                 loss_affinity: ConfigType = dict(type='AffinityLoss'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(in_channels, in_index, init_cfg)
        if channels % num_groups:
            raise ValueError(f'channels ({channels}) must be divisible by '
                             f'num_groups ({num_groups})')
        self.channels = channels
        self.laterals = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, channels, 1, bias=False),
                nn.GroupNorm(num_groups, channels)) for c in self.in_channels)
        self.conv_edge = nn.Conv2d(
            channels * len(self.in_channels), 1, 1, bias=True)
        self.loss_affinity = MODELS.build(loss_affinity)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Boundary logits at the finest level's resolution, (B, 1, h, w)."""
        feats = self._select(feats)
        size = finest_size(feats)
        outs = [
            F.relu(upsample_to(lateral(x), size))
            for lateral, x in zip(self.laterals, feats)
        ]
        return self.conv_edge(torch.cat(outs, dim=1))

    def loss_by_feat(self, edge_logits: Tensor, pair_targets: dict,
                     path_index) -> Dict[str, Tensor]:
        """Affinity losses of the boundary logits.

        Args:
            edge_logits (Tensor): (B, 1, h, w) output of :meth:`forward`.
            pair_targets (dict): ``bg_pos``, ``fg_pos`` and ``neg`` bool
                (B, D, h, w) from ``path_index.pair_targets``.
            path_index (PathIndex): The path index of the targets.

        Returns:
            dict[str, Tensor]: The terms of ``loss_affinity``.
        """
        boundary = torch.sigmoid(edge_logits[:, 0])
        affinity = path_index.affinity(boundary)
        valid = path_index.valid_mask(
            *boundary.shape[-2:], device=affinity.device)[None]
        return self.loss_affinity(
            affinity,
            pair_targets['bg_pos'],
            pair_targets['fg_pos'],
            pair_targets['neg'],
            valid=valid)
