"""Image-level classifier that produces class activation maps."""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from ..segmentors.backbone_segmentor import BackboneSegmentor


@MODELS.register_module()
class CAMClassifier(BackboneSegmentor):
    """Backbone + CAM head trained with image-level labels.

    ``loss`` trains the head (plain CAM or RPNet) from the ``gt_label`` of
    each data sample; ``predict`` returns IRN-protocol CAMs
    (docs/en/method.md section 2.1): the image at several scales and flipped,
    CAMs summed after resizing, only the image's classes, ReLU, each map
    divided by its max. Each returned data sample carries ``cam_keys`` (0-based
    foreground classes), ``cam`` (stride-4 maps, [K, ceil(H/4), ceil(W/4)]) and
    ``high_res`` ([K, H, W] at the image's original size).

    Args:
        backbone (dict): Backbone config.
        head (dict): Head config (``CAMHead`` or ``RPNetHead``).
        train_cfg (dict, optional): Unused; kept for mmseg compatibility.
        test_cfg (dict, optional): ``scales`` (default (1.0, 0.5, 1.5, 2.0))
            and ``flip`` (default True) of CAM inference, ``cam_stride``
            (default 4) of the saved low-resolution map.
        **kwargs: ``data_preprocessor`` (``SegDataPreProcessor`` config) and
            ``init_cfg`` of :class:`BackboneSegmentor`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(backbone, train_cfg, test_cfg, **kwargs)
        self.head = MODELS.build(head)
        self.scales = tuple(
            self.test_cfg.get('scales', (1.0, 0.5, 1.5, 2.0)))
        self.flip = bool(self.test_cfg.get('flip', True))
        self.cam_stride = int(self.test_cfg.get('cam_stride', 4))

    @staticmethod
    def _labels(data_samples: SampleList) -> Tensor:
        """Stack the multi-hot ``gt_label`` of each data sample."""
        missing = [i for i, ds in enumerate(data_samples)
                   if 'gt_label' not in ds]
        if missing:
            raise KeyError(
                f'data samples {missing} have no gt_label: pack the inputs '
                'with PackImageLevelInputs')
        return torch.stack([ds.gt_label for ds in data_samples]).float()

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Head losses for a batch (a paired batch for RPNet)."""
        labels = self._labels(data_samples).to(inputs.device)
        return self.head.loss(self.extract_feat(inputs), labels)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Class scores, shape (B, num_classes)."""
        return self.head(self.extract_feat(inputs))

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Single-scale raw CAMs of all classes at the input's size."""
        cams = self.head.cam(self.extract_feat(inputs)[-1])
        return F.interpolate(
            cams, inputs.shape[-2:], mode='bilinear', align_corners=False)

    def multiscale_cam(self, image: Tensor,
                       sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
        """Raw CAMs of one image summed over scales and flips.

        Args:
            image (Tensor): One normalised image, shape (1, 3, H, W).
            sizes (Sequence[tuple]): Output sizes; one summed map per size.

        Returns:
            list[Tensor]: For each size, (num_classes, h, w) summed CAMs.
        """
        h, w = image.shape[-2:]
        outs = [image.new_zeros((self.head.num_classes, ) + tuple(s))
                for s in sizes]
        for scale in self.scales:
            x = image if scale == 1.0 else F.interpolate(
                image, (max(1, round(h * scale)), max(1, round(w * scale))),
                mode='bilinear', align_corners=False)
            if self.flip:
                x = torch.cat([x, x.flip(-1)])
            cams = self.head.cam(self.extract_feat(x)[-1])
            if self.flip:
                cams = cams[:1] + cams[1:].flip(-1)
            for out, size in zip(outs, sizes):
                out += F.interpolate(
                    cams, size, mode='bilinear', align_corners=False)[0]
        return outs

    @staticmethod
    def _normalize(cam: Tensor) -> Tensor:
        """ReLU and divide each class map by its max."""
        cam = F.relu(cam)
        return cam / cam.amax(dim=(1, 2), keepdim=True).clamp(min=1e-5)

    @torch.no_grad()
    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """IRN-protocol CAMs of each image's own classes."""
        if data_samples is None:
            data_samples = [
                SegDataSample(metainfo=dict(
                    img_shape=inputs.shape[-2:], ori_shape=inputs.shape[-2:]))
                for _ in range(inputs.shape[0])
            ]
        for i, ds in enumerate(data_samples):
            img_h, img_w = ds.metainfo.get('img_shape', inputs.shape[-2:])
            ori_h, ori_w = ds.metainfo.get('ori_shape', (img_h, img_w))
            if 'gt_label' in ds:
                keys = torch.nonzero(ds.gt_label > 0).flatten()
            else:  # no labels: keep every class
                keys = torch.arange(self.head.num_classes)
            if keys.numel() == 0:
                raise ValueError(
                    f'{ds.metainfo.get("img_path", f"image {i}")}: its '
                    'label vector has no positive class, so there is no '
                    'CAM to compute')
            image = inputs[i:i + 1, :, :img_h, :img_w]
            low = (math.ceil(ori_h / self.cam_stride),
                   math.ceil(ori_w / self.cam_stride))
            cam, high = self.multiscale_cam(image, [low, (ori_h, ori_w)])
            keys = keys.to(cam.device)
            ds.set_data(
                dict(
                    cam_keys=keys.cpu(),
                    cam=self._normalize(cam[keys]).cpu(),
                    high_res=self._normalize(high[keys]).cpu()))
        return data_samples
