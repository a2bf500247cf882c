"""The base of the losses that a head logs under their own name."""
from torch import nn


class NamedLoss(nn.Module):
    """A weighted loss that names its entry in the dict of losses.

    mmseg's convention (its ``CrossEntropyLoss``, ``DiceLoss`` ...): the head
    stores the loss under :attr:`loss_name`, which starts with ``loss_`` so
    that the runner adds it to the total loss.

    Args:
        loss_weight (float): Factor of the loss.
        loss_name (str): Name of the loss in the log dict.
    """

    def __init__(self, loss_weight: float, loss_name: str) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Name of the loss in the log dict."""
        return self._loss_name
