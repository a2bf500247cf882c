"""IRN: class boundaries from relation labels, pseudo-labels by random walk."""
import math
from typing import List, Tuple

import numpy as np
import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from ...refine import PathIndex
from ...refine.pseudo_label import walk_to_pseudo_label, walked_bg_power
from ...utils.dense_crf import crf_relabel
from ..segmentors.backbone_segmentor import BackboneSegmentor
from .utils import sample_label_grid


def build_path_index(cfg: ConfigType) -> PathIndex:
    """Build a :class:`PathIndex` from ``dict(radius=...)``.

    Args:
        cfg (dict | PathIndex): Keyword arguments of ``PathIndex`` (a
            ``type`` key, if any, must be 'PathIndex'), or an instance.

    Returns:
        PathIndex: The path index.
    """
    if isinstance(cfg, PathIndex):
        return cfg
    cfg = dict(cfg)
    kind = cfg.pop('type', 'PathIndex')
    if kind != 'PathIndex':
        raise ValueError(f"path_index type must be 'PathIndex', got {kind!r}")
    return PathIndex(**cfg)


@MODELS.register_module()
class IRNet(BackboneSegmentor):
    """Inter-pixel relation network (IRN) on a frozen backbone.

    IRN (Ahn, Cho, Kwak, CVPR 2019), the refinement stage of RPNet
    (docs/en/method.md section 3). Training (``loss``): the backbone is frozen
    (no gradient, BatchNorm in eval mode); the edge head predicts a class
    boundary map at stride 4, the training path index (radius 10) turns it into
    pair affinities, and ``AffinityLoss`` fits them to the relation labels of
    the batch (``gt_sem_seg``: 0 background, 1..C classes, 255 unsure; sampled
    to the stride-4 grid at cell centres); the displacement head is trained on
    the same pairs by ``DisplacementLoss``.

    Inference (``predict``, the pseudo-label stage): the boundary of each
    image is the sigmoid of the mean of the edge logits of the image and of
    its horizontal flip (flipped back), at stride 4. The image's CAMs
    (``cam`` (K, h, w) and ``cam_keys`` (K, ) data fields, loaded by
    ``LoadCAMFromFile``) are propagated by the sparse random walk on the
    test path index's affinities (radius 5, ``A^beta``, ``2^exp_times``
    steps), upsampled x4, max-normalised, and a constant background score
    ``bg_threshold`` is put in front; the argmax is the pseudo-label, set as
    ``pred_sem_seg`` (values 0..C) with the boundary as ``boundary``.
    ``test_cfg.bg_mode='walked'`` walks a background map ``(1 - max CAM)
    ** bg_power`` with the CAMs instead (AffinityNet's background), and
    ``test_cfg.crf`` refines the label by a dense CRF on the image
    (:func:`rpnet_mmseg.utils.crf_relabel`); both are off in IRN's
    recipe and on in the MSRC demo, where they were measured
    (docs/en/irn.md).

    Args:
        backbone (dict): Backbone config (any mmseg / mmpretrain backbone
            returning multi-level features).
        edge_head (dict): ``IRNEdgeHead`` config.
        displacement_head (dict, optional): ``IRNDisplacementHead`` config;
            None trains the boundary alone. Defaults to None.
        freeze_backbone (bool): Run the backbone without gradients and with
            BatchNorm in eval mode, as IRN. Defaults to True.
        train_cfg (dict, optional): ``path_index`` (default
            ``dict(radius=10)``) and ``ignore_index`` (default 255).
        test_cfg (dict, optional): ``path_index`` (default
            ``dict(radius=5)``), ``beta`` (10), ``exp_times`` (8),
            ``bg_threshold`` (0.25), ``flip`` (True), ``stride`` (4, the
            stride of the CAMs and of the boundary map), ``walk_method``
            (None: the walk's default, see ``rpnet_mmseg.refine``),
            ``bg_mode`` ('constant', IRN; or 'walked'), ``bg_power`` (the
            walked background's exponent; or ``bg_at_threshold`` t, which
            sets it to ``walked_bg_power(t)``) and ``crf`` (None, IRN; or
            CRF parameters of ``crf_relabel``'s label unary, e.g.
            ``rpnet_mmseg.utils.IRN_CRF_PARAMS``).
        **kwargs: ``data_preprocessor`` (``SegDataPreProcessor`` config,
            whose normalisation the CRF undoes) and ``init_cfg`` of
            :class:`BackboneSegmentor`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 edge_head: ConfigType,
                 displacement_head: OptConfigType = None,
                 freeze_backbone: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(backbone, train_cfg, test_cfg, **kwargs)
        self.edge_head = MODELS.build(edge_head)
        self.displacement_head = MODELS.build(displacement_head) \
            if displacement_head is not None else None
        self.freeze_backbone = freeze_backbone
        train_cfg, test_cfg = self.train_cfg, self.test_cfg
        self.ignore_index = int(train_cfg.get('ignore_index', 255))
        self.train_path_index = build_path_index(
            train_cfg.get('path_index', dict(radius=10)))
        self.test_path_index = build_path_index(
            test_cfg.get('path_index', dict(radius=5)))
        self.beta = float(test_cfg.get('beta', 10))
        self.exp_times = int(test_cfg.get('exp_times', 8))
        self.bg_threshold = float(test_cfg.get('bg_threshold', 0.25))
        self.flip = bool(test_cfg.get('flip', True))
        self.stride = int(test_cfg.get('stride', 4))
        self.bg_mode = test_cfg.get('bg_mode', 'constant')
        self.bg_power = test_cfg.get('bg_power', None)
        if test_cfg.get('bg_at_threshold') is not None:
            # the walked background equals a CAM score of t (a pipeline
            # passes the threshold chosen on its CAMs)
            self.bg_power = walked_bg_power(test_cfg['bg_at_threshold'])
        if self.bg_mode not in ('constant', 'walked'):
            raise ValueError("test_cfg.bg_mode must be 'constant' or "
                             f"'walked', got {self.bg_mode!r}")
        if self.bg_mode == 'walked' and not (self.bg_power or 0) > 0:
            raise ValueError("test_cfg.bg_mode='walked' needs a positive "
                             f'test_cfg.bg_power, got {self.bg_power!r}')
        crf = test_cfg.get('crf', None)
        self.crf = None if crf is None else dict(crf)
        # How the walk is evaluated (see rpnet_mmseg.refine.propagate);
        # left to the walk's default unless the config names one.
        self.walk_kwargs = {} if test_cfg.get('walk_method') is None else \
            dict(method=test_cfg['walk_method'])
        if self.freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> 'IRNet':
        """Set the mode; a frozen backbone stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone features (without autograd when the backbone is frozen).
        """
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_backbone):
            return super().extract_feat(inputs)

    def _stride4_labels(self, data_samples: SampleList,
                        size: Tuple[int, int]) -> Tensor:
        """Relation labels of the batch on the boundary map's grid."""
        missing = [
            i for i, ds in enumerate(data_samples) if 'gt_sem_seg' not in ds
        ]
        if missing:
            raise KeyError(
                f'data samples {missing} have no gt_sem_seg: IRN trains on '
                'relation labels (PseudoLabelSegDataset on the relation-label '
                'folder, LoadAnnotations, then PackSegInputs)')
        labels = torch.stack([ds.gt_sem_seg.data[0]
                              for ds in data_samples]).long()
        return sample_label_grid(labels, size)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Affinity losses (and displacement losses) of a batch.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised, padded images.
            data_samples (list[SegDataSample]): With ``gt_sem_seg`` relation
                labels (padding = ``ignore_index``).

        Returns:
            dict[str, Tensor]: ``loss_bg_pos``, ``loss_fg_pos``,
            ``loss_neg`` and, with a displacement head, ``loss_dp_fg`` and
            ``loss_dp_bg``.
        """
        feats = self.extract_feat(inputs)
        edge_logits = self.edge_head(feats)
        labels = self._stride4_labels(data_samples, edge_logits.shape[-2:])
        targets = self.train_path_index.pair_targets(
            labels, ignore_index=self.ignore_index)
        losses = dict(
            self.edge_head.loss_by_feat(edge_logits, targets,
                                        self.train_path_index))
        if self.displacement_head is not None:
            displacement = self.displacement_head(feats)
            if displacement.shape[-2:] != edge_logits.shape[-2:]:
                raise ValueError(
                    f'the displacement field {tuple(displacement.shape[-2:])}'
                    f' and the boundary map {tuple(edge_logits.shape[-2:])} '
                    'must share a grid: check fine_levels / in_index')
            losses.update(
                self.displacement_head.loss_by_feat(displacement, targets,
                                                    self.train_path_index))
        return losses

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Boundary logits at stride 4, (B, 1, h, w)."""
        return self.edge_head(self.extract_feat(inputs))

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Boundary probabilities at stride 4, (B, 1, h, w)."""
        return torch.sigmoid(self._forward(inputs))

    def predict_boundary(self, image: Tensor) -> Tensor:
        """Class-boundary probability of one image at stride 4.

        Args:
            image (Tensor): (1, 3, H, W) normalised image (unpadded).

        Returns:
            Tensor: (ceil(H / stride), ceil(W / stride)) probabilities: the
            sigmoid of the mean logit of the image and its flip.
        """
        h, w = image.shape[-2:]
        size = (math.ceil(h / self.stride), math.ceil(w / self.stride))
        x = torch.cat([image, image.flip(-1)]) if self.flip else image
        logits = self._forward(x)[:, 0]
        if self.flip:
            logits = (logits[0] + logits[1].flip(-1)) / 2
        else:
            logits = logits[0]
        if tuple(logits.shape) != size:
            if logits.shape[0] < size[0] or logits.shape[1] < size[1]:
                raise ValueError(
                    f'the edge head gives a {tuple(logits.shape)} map for a '
                    f'{h}x{w} image, smaller than the stride-{self.stride} '
                    f'grid {size}: its finest level is not at stride '
                    f'{self.stride}')
            logits = logits[:size[0], :size[1]]
        return torch.sigmoid(logits)

    def _image_uint8(self, image: Tensor) -> np.ndarray:
        """(H, W, 3) uint8 image from a normalised (3, H, W) input.

        Undoes the data preprocessor's normalisation for the dense CRF; its
        colour order does not matter (the CRF's colour distances are the
        same in RGB and BGR).
        """
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            image = image * pre.std.to(image) + pre.mean.to(image)
        return image.round().clamp(0, 255).byte().permute(1, 2,
                                                          0).cpu().numpy()

    @staticmethod
    def _name(ds: SegDataSample, i: int) -> str:
        """Image name for error messages."""
        return str(
            ds.metainfo.get('img_path',
                            ds.metainfo.get('img_id', f'image {i}')))

    @torch.no_grad()
    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Pseudo-labels of a batch by the random walk (see class doc).

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            data_samples (list[SegDataSample]): With ``cam`` (K, h, w) and
                ``cam_keys`` (K, ) data fields (``LoadCAMFromFile`` +
                ``PackCAMInputs``) and ``img_shape`` / ``ori_shape``.

        Returns:
            list[SegDataSample]: With ``pred_sem_seg`` (1, H, W) int64 class
            ids at the original size and ``boundary`` (h, w).
        """
        if data_samples is None:
            raise ValueError('IRNet.predict needs data samples carrying the '
                             'CAMs to propagate (cam, cam_keys)')
        for i, ds in enumerate(data_samples):
            name = self._name(ds, i)
            img_h, img_w = ds.metainfo.get('img_shape', inputs.shape[-2:])
            ori_h, ori_w = ds.metainfo.get('ori_shape', (img_h, img_w))
            if (img_h, img_w) != (ori_h, ori_w):
                raise ValueError(
                    f'{name}: IRN inference runs at the image\'s own size '
                    f'(CAMs are on its stride-{self.stride} grid), but the '
                    f'test pipeline resized {ori_h}x{ori_w} to '
                    f'{img_h}x{img_w}: drop the resize')
            if 'cam' not in ds or 'cam_keys' not in ds:
                raise KeyError(
                    f'{name}: the data sample has no "cam" / "cam_keys" '
                    'field: load the CAMs in the test pipeline '
                    '(LoadCAMFromFile, then PackCAMInputs)')
            boundary = self.predict_boundary(inputs[i:i +
                                                    1, :, :img_h, :img_w])
            cams = ds.cam.to(boundary)
            keys = ds.cam_keys.long()
            if tuple(cams.shape[-2:]) != tuple(boundary.shape):
                raise ValueError(
                    f'{name}: its CAM "cam" is {tuple(cams.shape[-2:])} but '
                    f'the stride-{self.stride} grid of the {img_h}x{img_w} '
                    f'image is {tuple(boundary.shape)}')
            label = walk_to_pseudo_label(
                cams,
                keys,
                boundary, (ori_h, ori_w),
                self.test_path_index,
                beta=self.beta,
                exp_times=self.exp_times,
                bg_threshold=self.bg_threshold,
                stride=self.stride,
                bg_mode=self.bg_mode,
                bg_power=self.bg_power,
                **self.walk_kwargs)
            if self.crf is not None:
                class_ids = torch.cat([keys.new_zeros(1), keys + 1])
                label = torch.from_numpy(
                    crf_relabel(
                        self._image_uint8(inputs[i, :, :img_h, :img_w]),
                        label.cpu().numpy(),
                        class_ids.cpu().numpy(), **self.crf)).to(label.device)
            ds.pred_sem_seg = PixelData(data=label.long()[None])
            ds.set_data(dict(boundary=boundary))
        return data_samples
