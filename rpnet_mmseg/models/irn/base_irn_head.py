"""The base of IRN's two branches: selected backbone levels in."""
from typing import List, Optional, Sequence

from mmengine.model import BaseModule
from torch import Tensor

from mmseg.utils import OptMultiConfig


class BaseIRNHead(BaseModule):
    """Which backbone outputs a branch of IRN reads, and their channels.

    What :class:`IRNEdgeHead` and :class:`IRNDisplacementHead` share, as
    mmseg's ``BaseDecodeHead`` does for its heads (``in_channels``,
    ``in_index``, ``_transform_inputs``) but without a classifier: a branch
    takes the backbone outputs ``in_index``, whose channels must be
    ``in_channels``.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels.
        in_index (Sequence[int], optional): Backbone outputs to use, one per
            ``in_channels`` entry. Defaults to None (all, in order).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Optional[Sequence[int]] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = list(in_channels)
        if not self.in_channels:
            raise ValueError('in_channels must name at least one level')
        self.in_index = tuple(range(len(self.in_channels))) \
            if in_index is None else tuple(in_index)
        if len(self.in_index) != len(self.in_channels):
            raise ValueError(f'in_index {self.in_index} and in_channels '
                             f'{self.in_channels} differ in length')

    def _select(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """The backbone outputs named by ``in_index``, channels checked."""
        if max(self.in_index) >= len(feats):
            raise ValueError(f'in_index {self.in_index} needs more than the '
                             f'{len(feats)} backbone outputs given')
        selected = [feats[i] for i in self.in_index]
        got = [f.shape[1] for f in selected]
        if got != self.in_channels:
            raise ValueError(f'backbone outputs {self.in_index} have '
                             f'{got} channels, the head expects '
                             f'{self.in_channels}')
        return selected
