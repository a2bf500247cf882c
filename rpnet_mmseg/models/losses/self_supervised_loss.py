"""Self-supervised consistency loss ``L_self`` (paper eq. 13)."""
from typing import Optional

from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class SelfSupervisedLoss(NamedLoss):
    """Squared difference between enhanced and original maps (eq. 13).

    The paper sums ``(f_N' - f_N)^2`` over positions; a sum makes the loss
    scale with the feature size and the crop, so this module averages over
    the elements (``reduction='mean'``, a constant rescaling of eq. 13 that
    keeps ``lambda = 10`` meaningful across backbones). The enhanced map is the
    target ("the refined prediction supervises the original prediction", Fig.
    2), so by default it is detached.

    Args:
        loss_weight (float): ``lambda`` of eq. 11. Defaults to 10.0.
        reduction (str): 'mean' or 'sum'. Defaults to 'mean'.
        detach_target (bool): Stop the gradient through the enhanced map.
            Defaults to True.
        loss_name (str): Name in the log. Defaults to 'loss_self'.
    """

    def __init__(self,
                 loss_weight: float = 10.0,
                 reduction: str = 'mean',
                 detach_target: bool = True,
                 loss_name: str = 'loss_self') -> None:
        super().__init__(loss_weight, loss_name)
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"reduction must be 'mean' or 'sum', "
                             f'got {reduction!r}')
        self.reduction = reduction
        self.detach_target = detach_target

    def forward(self,
                original: Tensor,
                enhanced: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Compute ``lambda * L_self``.

        Args:
            original (Tensor): ``f_N`` (or original CAMs), shape (B, C, H, W).
            enhanced (Tensor): ``f_N'`` (or enhanced CAMs), same shape.
            mask (Tensor, optional): Broadcastable 0/1 weights selecting the
                elements that count (e.g. the image's own classes).

        Returns:
            Tensor: The scalar loss.
        """
        if original.shape != enhanced.shape:
            raise ValueError(f'original {tuple(original.shape)} and enhanced '
                             f'{tuple(enhanced.shape)} differ in shape')
        target = enhanced.detach() if self.detach_target else enhanced
        diff = (target - original)**2
        if mask is not None:
            mask = mask.to(diff.dtype).expand_as(diff)
            total = (diff * mask).sum()
            count = mask.sum().clamp(min=1)
        else:
            total, count = diff.sum(), diff.numel()
        loss = total / count if self.reduction == 'mean' else total
        return self.loss_weight * loss
