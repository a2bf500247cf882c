"""IRN's displacement-field losses on pairs of pixels."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from mmseg.registry import MODELS
from .affinity_loss import masked_mean


@MODELS.register_module()
class DisplacementLoss(nn.Module):
    """L1 losses of pair displacement differences (IRN).

    IRN's displacement field ``D`` points every foreground pixel to the
    centroid of its instance, so for a pair ``(i, j)`` of the same
    foreground class ``D(x_i) - D(x_j) = x_j - x_i`` (the pair's offset on
    the stride-4 grid), and background pixels do not move, so for a
    background pair ``D(x_i) - D(x_j) = 0``. Given the pair differences
    ``delta_ij = D(x_i) - D(x_j)``:

    - ``loss_dp_fg``: ``|delta_ij - (x_j - x_i)|`` over foreground pairs,
    - ``loss_dp_bg``: ``|delta_ij|`` over background pairs,

    each the mean over its pairs and the two coordinates. The default
    weights (1/2, 1/2) are those of IRN's release.

    Args:
        fg_weight (float): Weight of ``loss_dp_fg``. Defaults to 0.5.
        bg_weight (float): Weight of ``loss_dp_bg``. Defaults to 0.5.
        eps (float): Added to the pair counts. Defaults to 1e-5.
    """

    def __init__(self,
                 fg_weight: float = 0.5,
                 bg_weight: float = 0.5,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.fg_weight = fg_weight
        self.bg_weight = bg_weight
        self.eps = eps

    def forward(self,
                pair_displacement: Tensor,
                offsets: Tensor,
                fg_pos: Tensor,
                bg_pos: Tensor,
                valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Compute the two weighted terms.

        Args:
            pair_displacement (Tensor): ``D(x_i) - D(x_j)``, (B, 2, D, H, W)
                for source pixel i at (H, W) and destination ``j = i +
                offsets[d]``.
            offsets (Tensor): (D, 2) offset ``x_j - x_i`` of each direction,
                in the same coordinate order as the displacement channels.
            fg_pos (Tensor): Bool (B, D, H, W), same-foreground-class pairs.
            bg_pos (Tensor): Bool (B, D, H, W), background-background pairs.
            valid (Tensor, optional): Bool, broadcastable to the masks:
                pairs whose destination lies in the image. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_dp_fg`` and ``loss_dp_bg``.
        """
        if pair_displacement.dim() != 5 or pair_displacement.shape[1] != 2:
            raise ValueError('pair_displacement must be (B, 2, D, H, W), got '
                             f'{tuple(pair_displacement.shape)}')
        masks_shape = (pair_displacement.shape[0], ) + tuple(
            pair_displacement.shape[2:])
        for name, mask in (('fg_pos', fg_pos), ('bg_pos', bg_pos)):
            if tuple(mask.shape) != masks_shape:
                raise ValueError(f'{name} mask {tuple(mask.shape)} does not '
                                 f'match the pairs {masks_shape}')
        if tuple(offsets.shape) != (pair_displacement.shape[2], 2):
            raise ValueError(f'offsets must be (D, 2) = '
                             f'({pair_displacement.shape[2]}, 2), got '
                             f'{tuple(offsets.shape)}')
        if valid is not None:
            valid = valid.to(torch.bool)
            fg_pos, bg_pos = fg_pos & valid, bg_pos & valid
        target = offsets.to(pair_displacement).t()[None, :, :, None, None]
        fg_term = (pair_displacement - target).abs().mean(dim=1)
        bg_term = pair_displacement.abs().mean(dim=1)
        return dict(
            loss_dp_fg=self.fg_weight * masked_mean(fg_term, fg_pos, self.eps),
            loss_dp_bg=self.bg_weight * masked_mean(bg_term, bg_pos, self.eps))
