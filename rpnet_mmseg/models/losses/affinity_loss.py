"""IRN's class-boundary loss on inter-pixel affinities."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from mmseg.registry import MODELS


def masked_mean(values: Tensor, mask: Tensor, eps: float = 1e-5) -> Tensor:
    """Mean of ``values`` over the elements where ``mask`` is set.

    ``sum(values * mask) / (sum(mask) + eps)``: an empty mask gives 0 with a
    (zero) gradient, so the parameters behind ``values`` always take part in
    the backward pass (DDP with ``find_unused_parameters=False``).

    Args:
        values (Tensor): Per-element values.
        mask (Tensor): Bool or 0/1 tensor broadcastable to ``values``.
        eps (float): Added to the count. Defaults to 1e-5.

    Returns:
        Tensor: The scalar mean.
    """
    mask = mask.to(values.dtype)
    return (values * mask).sum() / (mask.expand_as(values).sum() + eps)


@MODELS.register_module()
class AffinityLoss(nn.Module):
    """Cross-entropy of pair affinities against relation labels (IRN).

    IRN (Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
    with Inter-pixel Relations", CVPR 2019), class boundary detection: the
    affinity of a pair ``a_ij = 1 - max_{k on the path i->j} B(x_k)`` should
    be 1 for pairs with the same relation label and 0 for pairs with
    different ones. Three terms, each averaged over its own pairs so that
    the abundant background pairs do not drown the others:

    - ``loss_bg_pos``: ``-log(a_ij)`` over background-background pairs,
    - ``loss_fg_pos``: ``-log(a_ij)`` over pairs of the same foreground class,
    - ``loss_neg``: ``-log(1 - a_ij)`` over pairs of different labels.

    The default weights (1/4, 1/4, 1/2) are those of IRN's release
    (``((bg + fg) / 2 + neg) / 2``). Each term is returned under its own name
    so that the runner logs it on its own. ``eps`` = 1e-5 inside the logs and
    in the denominators, as in IRN.

    Args:
        bg_pos_weight (float): Weight of ``loss_bg_pos``. Defaults to 0.25.
        fg_pos_weight (float): Weight of ``loss_fg_pos``. Defaults to 0.25.
        neg_weight (float): Weight of ``loss_neg``. Defaults to 0.5.
        eps (float): Numerical guard. Defaults to 1e-5.
    """

    def __init__(self,
                 bg_pos_weight: float = 0.25,
                 fg_pos_weight: float = 0.25,
                 neg_weight: float = 0.5,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.bg_pos_weight = bg_pos_weight
        self.fg_pos_weight = fg_pos_weight
        self.neg_weight = neg_weight
        self.eps = eps

    def forward(self,
                affinity: Tensor,
                bg_pos: Tensor,
                fg_pos: Tensor,
                neg: Tensor,
                valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Compute the three weighted terms.

        Args:
            affinity (Tensor): Pair affinities in [0, 1], (B, D, H, W): one
                value per source pixel and path direction.
            bg_pos (Tensor): Bool (B, D, H, W), background-background pairs.
            fg_pos (Tensor): Bool (B, D, H, W), same-foreground-class pairs.
            neg (Tensor): Bool (B, D, H, W), pairs of different labels.
            valid (Tensor, optional): Bool, broadcastable to the masks:
                pairs whose destination lies in the image. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_bg_pos``, ``loss_fg_pos``, ``loss_neg``.
        """
        for name, mask in (('bg_pos', bg_pos), ('fg_pos', fg_pos), ('neg',
                                                                    neg)):
            if mask.shape != affinity.shape:
                raise ValueError(f'{name} mask {tuple(mask.shape)} does not '
                                 f'match the affinity {tuple(affinity.shape)}')
        if valid is not None:
            valid = valid.to(torch.bool)
            bg_pos, fg_pos, neg = bg_pos & valid, fg_pos & valid, neg & valid
        pos_term = -torch.log(affinity + self.eps)
        neg_term = -torch.log(1.0 + self.eps - affinity)
        return dict(
            loss_bg_pos=self.bg_pos_weight *
            masked_mean(pos_term, bg_pos, self.eps),
            loss_fg_pos=self.fg_pos_weight *
            masked_mean(pos_term, fg_pos, self.eps),
            loss_neg=self.neg_weight * masked_mean(neg_term, neg, self.eps))
