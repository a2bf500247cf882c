"""Plain CAM head: GAP + 1x1 classifier (IRN's CAM network)."""
from typing import Dict, Optional, Sequence

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseg.registry import MODELS


@MODELS.register_module()
class CAMHead(BaseModule):
    """Multi-label classifier whose weights give class activation maps.

    The baseline of the paper (Tables I, II, VII) and of IRN: global average
    pooling of the last block ``f_N`` and a bias-free 1x1 classifier
    ``Theta``; the CAM is ``ReLU(Theta^T f_N)`` (eqs. 1-2).

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone outputs;
            the last one is ``f_N``.
        num_classes (int): Number of foreground classes.
        loss_cls (dict): Classification loss config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels,
                 num_classes: int,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int):
            in_channels = [in_channels]
        self.in_channels = list(in_channels)
        self.num_classes = num_classes
        self.classifier = nn.Conv2d(
            self.in_channels[-1], num_classes, 1, bias=False)
        nn.init.xavier_uniform_(self.classifier.weight)
        self.loss_cls = MODELS.build(loss_cls)

    def logits(self, feat: Tensor) -> Tensor:
        """Class scores ``Theta^T GAP(feat)``, shape (B, num_classes)."""
        return self.classifier(F.adaptive_avg_pool2d(feat, 1)).flatten(1)

    def cam(self, feat: Tensor) -> Tensor:
        """Raw class activation maps ``ReLU(Theta^T feat)`` (B, K, H, W)."""
        return F.relu(self.classifier(feat))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Class scores of the last backbone output."""
        return self.logits(feats[-1])

    def loss(self, feats: Sequence[Tensor],
             labels: Tensor) -> Dict[str, Tensor]:
        """Multi-label soft-margin loss of the class scores."""
        return {self.loss_cls.loss_name: self.loss_cls(
            self.forward(feats), labels)}
