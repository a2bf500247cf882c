"""IRN's displacement-field branch."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from .base_irn_head import BaseIRNHead
from .utils import finest_size, gather_destinations, upsample_to


def _conv_gn(in_channels: int, out_channels: int) -> nn.Sequential:
    """1x1 conv (no bias) + GroupNorm with IRN's group count.

    IRN uses 4 groups for 32 channels, 8 for 64 and 16 for 128 and 256:
    ``min(16, channels // 8)``.
    """
    groups = max(1, min(16, out_channels // 8))
    if out_channels % groups:
        raise ValueError(f'{out_channels} channels cannot be split into '
                         f'{groups} GroupNorm groups; use a multiple of 8')
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        nn.GroupNorm(groups, out_channels))


@MODELS.register_module()
class IRNDisplacementHead(BaseIRNHead):
    """Displacement field from multi-level backbone features (IRN).

    IRN's displacement branch, for any backbone: the levels listed in
    ``fine_levels`` are at the output resolution (stride 4); the other
    ("coarse") levels are each projected (1x1 conv, GroupNorm, ReLU),
    brought to the resolution of the finest coarse level, concatenated and
    fused (1x1 conv to ``fuse_channels``, GroupNorm, ReLU) and upsampled to
    the output resolution; the fine levels are projected the same way and
    concatenated with it; a last 1x1 conv + GroupNorm + ReLU and a bias-free
    1x1 conv give the 2-channel field ``D`` (dy, dx) in stride-4 pixels.
    Upsampling sits between GroupNorm and ReLU, as in IRN.

    IRN's ResNet-50 version: fine levels stem (64 ch) and layer1 (128 ch),
    coarse levels layer2..4 (256 ch each) fused at stride 8 to 256 ch.

    The field is trained by ``loss_displacement`` on the pairs of the path
    index; it does not feed the semantic pseudo-labels (IRN uses it for
    instance maps), so this head only shapes IRN's training objective.
    IRN's mean-shift correction of ``D`` at inference (for instance
    centroids) is not part of this semantic pipeline.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels.
        channels (Sequence[int]): Projection width of each level.
        fine_levels (Sequence[int]): Positions (in ``in_channels``) of the
            levels at the output resolution. Defaults to (0, ).
        fuse_channels (int): Width of the coarse fusion and of the last
            hidden conv. Defaults to 256.
        in_index (Sequence[int], optional): Backbone outputs to use.
            Defaults to None (all, in order).
        loss_displacement (dict): Loss config. Defaults to
            ``dict(type='DisplacementLoss')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: Sequence[int],
                 fine_levels: Sequence[int] = (0, ),
                 fuse_channels: int = 256,
                 in_index: Optional[Sequence[int]] = None,
                 loss_displacement: ConfigType = dict(type='DisplacementLoss'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(in_channels, in_index, init_cfg)
        self.channels = list(channels)
        if len(self.channels) != len(self.in_channels):
            raise ValueError(f'channels {self.channels} and in_channels '
                             f'{self.in_channels} differ in length')
        self.fine_levels = tuple(fine_levels)
        if not self.fine_levels or not set(self.fine_levels) <= set(
                range(len(self.in_channels))):
            raise ValueError(f'fine_levels {self.fine_levels} must name '
                             f'some of the {len(self.in_channels)} levels')
        self.coarse_levels = tuple(
            i for i in range(len(self.in_channels))
            if i not in self.fine_levels)
        self.laterals = nn.ModuleList(
            _conv_gn(c_in, c)
            for c_in, c in zip(self.in_channels, self.channels))
        fine_width = sum(self.channels[i] for i in self.fine_levels)
        if self.coarse_levels:
            self.fuse_coarse = _conv_gn(
                sum(self.channels[i] for i in self.coarse_levels),
                fuse_channels)
            fine_width += fuse_channels
        else:
            self.fuse_coarse = None
        self.fuse_fine = _conv_gn(fine_width, fuse_channels)
        self.conv_disp = nn.Conv2d(fuse_channels, 2, 1, bias=False)
        self.loss_displacement = MODELS.build(loss_displacement)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Displacement field at the fine levels' resolution, (B, 2, h, w)."""
        feats = self._select(feats)
        size = finest_size([feats[i] for i in self.fine_levels])
        fine = [
            F.relu(upsample_to(self.laterals[i](feats[i]), size))
            for i in self.fine_levels
        ]
        if self.fuse_coarse is not None:
            coarse_size = finest_size([feats[i] for i in self.coarse_levels])
            coarse = [
                F.relu(upsample_to(self.laterals[i](feats[i]), coarse_size))
                for i in self.coarse_levels
            ]
            fused = self.fuse_coarse(torch.cat(coarse, dim=1))
            fine.append(F.relu(upsample_to(fused, size)))
        hidden = F.relu(self.fuse_fine(torch.cat(fine, dim=1)))
        return self.conv_disp(hidden)

    def loss_by_feat(self, displacement: Tensor, pair_targets: dict,
                     path_index) -> Dict[str, Tensor]:
        """Displacement losses on the path index's pairs.

        Args:
            displacement (Tensor): (B, 2, h, w) output of :meth:`forward`.
            pair_targets (dict): ``fg_pos`` and ``bg_pos`` bool
                (B, D, h, w) from ``path_index.pair_targets``.
            path_index (PathIndex): The path index of the targets.

        Returns:
            dict[str, Tensor]: The terms of ``loss_displacement``.
        """
        offsets = torch.as_tensor(path_index.directions).long()
        pair_disp = displacement.unsqueeze(2) - gather_destinations(
            displacement, offsets)
        valid = path_index.valid_mask(
            *displacement.shape[-2:], device=displacement.device)[None]
        return self.loss_displacement(
            pair_disp,
            offsets.to(displacement.device),
            pair_targets['fg_pos'],
            pair_targets['bg_pos'],
            valid=valid)
