"""The base of the segmentors that put their own heads on one backbone."""
from typing import Tuple

from torch import Tensor

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig


class BackboneSegmentor(BaseSegmentor):
    """A backbone built from its config, under the heads of a subclass.

    What :class:`CAMClassifier` and :class:`IRNet` share. Unlike mmseg's
    ``EncoderDecoder`` they have no decode head: a subclass builds its own
    heads and implements ``loss``, ``predict``, ``_forward`` and
    ``encode_decode``. The backbone's ``init_cfg`` (e.g. ImageNet weights)
    is loaded by mmengine's ``init_weights``, as for any ``BaseModule``.

    Args:
        backbone (dict): Backbone config (any mmseg / mmpretrain backbone).
        train_cfg (dict, optional): Training settings, kept as the dict
            :attr:`train_cfg`.
        test_cfg (dict, optional): Inference settings, kept as the dict
            :attr:`test_cfg`.
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone features of a batch, a tuple of levels."""
        feats = self.backbone(inputs)
        return tuple(feats) if isinstance(feats, (list, tuple)) else (feats, )
