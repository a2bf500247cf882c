"""DeepLab-LargeFOV decode head (DeepLab v1, ICLR 2015)."""
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class DeepLabLargeFOVHead(BaseDecodeHead):
    """The DeepLab-LargeFOV head, the segmentation network of RPNet.

    From `Semantic Image Segmentation with Deep Convolutional Nets and Fully
    Connected CRFs <https://arxiv.org/abs/1412.7062>`_ (Chen et al., ICLR
    2015): the fully connected layers of the classifier become convolutions,
    ``fc6`` a 3x3 convolution with dilation 12 (the "large field of view"
    variant), ``fc7`` a 1x1 convolution, both 1024 channels wide, each
    followed by ReLU and dropout 0.5, then a 1x1 classifier. RPNet
    (section IV-D, Table VIII) trains it on a ResNet-50 at output stride 8
    on the pseudo-labels of the IRN stage. MMSegmentation 1.x ships only the
    DeepLab v3 / v3+ heads (ASPP), hence this head.

    Layout, with ``C_in = in_channels`` and ``K = num_classes``::

        fc6: conv3x3(C_in -> fc_channels, dilation) + ReLU + dropout
        fc7: conv1x1(fc_channels -> channels) + ReLU
        cls_seg: dropout (``dropout_ratio``) + conv_seg 1x1 (channels -> K)

    The dropout after fc7 is :class:`BaseDecodeHead`'s own (``dropout_ratio``
    before ``conv_seg``). DeepLab's Caffe dropout drops single activations,
    not whole channels: with ``channel_dropout=False`` (default) both
    dropouts are element-wise :class:`torch.nn.Dropout`; ``True`` keeps
    mmseg's channel-wise :class:`torch.nn.Dropout2d`.

    Args:
        fc_channels (int): Width of fc6. Defaults to 1024.
        kernel_size (int): Kernel size of fc6. Defaults to 3.
        dilation (int): Dilation of fc6 (12 in LargeFOV). Defaults to 12.
        fc_dropout_ratio (float): Dropout after fc6. Defaults to 0.5.
        channel_dropout (bool): Use channel-wise ``Dropout2d`` (mmseg's
            convention) instead of element-wise ``Dropout``. Defaults to
            False.
        **kwargs: Arguments of :class:`BaseDecodeHead`: ``in_channels``,
            ``channels`` (width of fc7, 1024 in the paper), ``num_classes``,
            ``dropout_ratio`` (dropout after fc7, 0.5 in the paper),
            ``conv_cfg``, ``norm_cfg`` (None in the paper: no normalisation),
            ``act_cfg``, ``in_index``, ``loss_decode``, ``ignore_index``,
            ``align_corners``, ``init_cfg``.
    """

    def __init__(self,
                 fc_channels: int = 1024,
                 kernel_size: int = 3,
                 dilation: int = 12,
                 fc_dropout_ratio: float = 0.5,
                 channel_dropout: bool = False,
                 **kwargs) -> None:
        kwargs.setdefault('channels', 1024)
        kwargs.setdefault('dropout_ratio', 0.5)
        super().__init__(**kwargs)
        if self.input_transform is not None:
            raise ValueError('DeepLabLargeFOVHead takes one feature map: '
                             "input_transform must be None, got "
                             f'{self.input_transform!r}')
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd, got {kernel_size}')
        for name, ratio in (('fc_dropout_ratio', fc_dropout_ratio),
                            ('dropout_ratio', self.dropout_ratio)):
            if not 0 <= ratio < 1:
                raise ValueError(f'{name} must be in [0, 1), got {ratio}')
        self.fc_channels = fc_channels
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.fc_dropout_ratio = fc_dropout_ratio
        self.channel_dropout = channel_dropout
        dropout = nn.Dropout2d if channel_dropout else nn.Dropout
        self.fc6 = ConvModule(
            self.in_channels,
            fc_channels,
            kernel_size,
            padding=dilation * (kernel_size // 2),
            dilation=dilation,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.fc6_dropout = (
            dropout(fc_dropout_ratio) if fc_dropout_ratio > 0 else
            nn.Identity())
        self.fc7 = ConvModule(
            fc_channels,
            self.channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        # BaseDecodeHead.cls_seg applies self.dropout before conv_seg.
        if self.dropout_ratio > 0:
            self.dropout = dropout(self.dropout_ratio)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Per-pixel class logits at the resolution of the feature map.

        Args:
            inputs (list[Tensor]): Multi-level features of the backbone;
                ``in_index`` selects the one this head uses.

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W).
        """
        x = self._transform_inputs(inputs)
        x = self.fc6_dropout(self.fc6(x))
        x = self.fc7(x)
        return self.cls_seg(x)
