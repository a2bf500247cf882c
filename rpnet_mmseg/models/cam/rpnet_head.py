"""RPNet head: region prototypes, comparator and re-weighting."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .cam_head import CAMHead
from .region_prototype import (confidence_mask, masked_average_pool,
                               pair_prototypes)


@MODELS.register_module()
class RPNetHead(CAMHead):
    """Region Prototypical Network head (paper section III-D/E).

    Training takes a batch of image pairs (images ``2i`` and ``2i + 1`` share
    a class). For each selected block ``n``: the multi-level activation
    ``O_n`` and confident map ``O'_n`` (eqs. 3-4), the Bernoulli-dropped
    confidence mask ``M_n`` (eq. 6) and the region prototype ``p_n`` (eq. 5).
    Each image's foreground map is the max cosine between the last block's
    projection and the ``2N`` prototypes of the pair (eqs. 7-8); the last
    block is re-weighted by the smoothed map (eqs. 9-10) and the loss is
    ``L_c + lambda * L_self`` (eqs. 11-13). At test time the head is the plain
    CAM head: CAMs come from the single-image path.

    Args:
        in_channels (Sequence[int]): Channels of every backbone output; the
            last is ``f_N``.
        num_classes (int): Number of foreground classes.
        in_index (Sequence[int]): Backbone outputs used for prototypes
            (Table IV; paper best: blocks 2 + 4, i.e. (1, 3)).
        proj_channels (int): Projection width of eq. 3 (paper 256, release
            512).
        alpha (float): Confidence threshold of eq. 6. Defaults to 0.3.
        beta (float): Keep probability of the Bernoulli mask (eq. 6, Table
            V). Defaults to 0.5.
        prototype_source (str): 'pair' (2N prototypes from both images) or
            'self' (N from the image itself; Table VII).
        reweight (dict): Re-weighting config (``GaussianReweighting``; set
            ``smooth=False`` for Table VI's "without Gaussian").
        comparator (dict): Comparator config.
        cls_loss_on (str): 'enhanced' scores of ``f_N'`` (paper eq. 12),
            'original' scores of ``f_N`` (authors' release) or 'both' (the
            sum of the two losses, logged as ``loss_cls`` and
            ``loss_cls_enh``).
        self_loss_on (str): 'feature' compares ``f_N'`` with ``f_N`` (paper
            eq. 13); 'cam' compares per-class max-normalised CAMs of the
            image's classes (authors' release).
        loss_cls (dict): Classification loss config.
        loss_self (dict): Self-supervised loss config (``loss_weight`` is
            lambda).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_classes: int,
                 in_index: Sequence[int] = (1, 3),
                 proj_channels: int = 256,
                 alpha: float = 0.3,
                 beta: float = 0.5,
                 prototype_source: str = 'pair',
                 reweight: dict = dict(
                     type='GaussianReweighting', sigma=3.0, kernel_size=5),
                 comparator: dict = dict(type='PrototypeComparator'),
                 cls_loss_on: str = 'enhanced',
                 self_loss_on: str = 'feature',
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 loss_self: dict = dict(
                     type='SelfSupervisedLoss', loss_weight=10.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels, num_classes, loss_cls=loss_cls, init_cfg=init_cfg)
        n_levels = len(self.in_channels)
        self.in_index = [i % n_levels for i in in_index]
        if not self.in_index:
            raise ValueError('in_index must select at least one block')
        for name, value, choices in (
            ('cls_loss_on', cls_loss_on, ('enhanced', 'original', 'both')),
            ('self_loss_on', self_loss_on, ('feature', 'cam')),
            ('prototype_source', prototype_source, ('pair', 'self'))):
            if value not in choices:
                raise ValueError(
                    f'{name} must be one of {choices}, got {value!r}')
        self.alpha = alpha
        self.beta = beta
        self.prototype_source = prototype_source
        self.cls_loss_on = cls_loss_on
        self.self_loss_on = self_loss_on
        # Projected levels: the selected blocks plus the last block, against
        # whose projection prototypes are compared.
        self.proj_levels = sorted(set(self.in_index) | {n_levels - 1})
        self.activation = MODELS.build(
            dict(
                type='MultiLevelActivation',
                in_channels=[self.in_channels[i] for i in self.proj_levels],
                proj_channels=proj_channels))
        self.comparator = MODELS.build(comparator)
        self.reweight = MODELS.build(reweight)
        self.loss_self = MODELS.build(loss_self)

    def foreground_map(self, feats: Sequence[Tensor]) -> Tensor:
        """Foreground map FM of every image of a paired batch (eqs. 3-8).

        Args:
            feats (Sequence[Tensor]): All backbone outputs.

        Returns:
            Tensor: FM, shape (B, 1, H_N, W_N).
        """
        acts, confs = self.activation([feats[i] for i in self.proj_levels])
        by_level = dict(zip(self.proj_levels, zip(acts, confs)))
        protos, valid = [], []
        for n in self.in_index:
            act, conf = by_level[n]
            mask = confidence_mask(conf, self.alpha, self.beta, self.training)
            p, v = masked_average_pool(act, mask)
            protos.append(p)
            valid.append(v)
        protos, valid = pair_prototypes(
            torch.stack(protos, 1), torch.stack(valid, 1),
            self.prototype_source)
        last_proj = by_level[len(self.in_channels) - 1][0]
        return self.comparator(last_proj, protos, valid)

    def _normalized_cam(self, feat: Tensor) -> Tensor:
        """Per-class max-normalised CAMs (release's ``L_self`` input)."""
        cam = self.cam(feat)
        return cam / cam.amax(dim=(2, 3), keepdim=True).clamp(min=1e-5)

    def loss(self, feats: Sequence[Tensor],
             labels: Tensor) -> Dict[str, Tensor]:
        """``L = L_c + lambda * L_self`` on a paired batch (eqs. 11-13)."""
        f_n = feats[-1]
        fm = self.foreground_map(feats)
        f_enh = self.reweight(f_n, fm)  # eq. 10
        name = self.loss_cls.loss_name
        losses = {}
        if self.cls_loss_on in ('original', 'both'):
            losses[name] = self.loss_cls(self.logits(f_n), labels)
        if self.cls_loss_on == 'enhanced':
            losses[name] = self.loss_cls(self.logits(f_enh), labels)
        elif self.cls_loss_on == 'both':
            losses[name + '_enh'] = self.loss_cls(self.logits(f_enh), labels)
        if self.self_loss_on == 'feature':
            losses[self.loss_self.loss_name] = self.loss_self(f_n, f_enh)
        else:
            losses[self.loss_self.loss_name] = self.loss_self(
                self._normalized_cam(f_n), self._normalized_cam(f_enh),
                mask=labels[:, :, None, None])
        losses['fm_mean'] = fm.detach().mean()
        return losses
