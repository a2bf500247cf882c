"""Multi-label soft-margin classification loss (paper eq. 12)."""
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class MultiLabelSoftMarginLoss(NamedLoss):
    """Multi-label soft-margin loss ``L_c`` of RPNet (eq. 12) and IRN's CAM.

    ``-mean_i [u_i log sigmoid(v_i) + (1 - u_i) log(1 - sigmoid(v_i))]``,
    averaged over classes and over the batch.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss in the log. Defaults to
            'loss_cls'.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cls') -> None:
        super().__init__(loss_weight, loss_name)

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): Class scores ``v``, shape (B, C).
            labels (Tensor): Multi-hot labels ``u``, shape (B, C).

        Returns:
            Tensor: The scalar loss.
        """
        if logits.shape != labels.shape:
            raise ValueError(f'logits {tuple(logits.shape)} and labels '
                             f'{tuple(labels.shape)} differ in shape')
        return self.loss_weight * F.multilabel_soft_margin_loss(
            logits, labels.to(logits.dtype))
