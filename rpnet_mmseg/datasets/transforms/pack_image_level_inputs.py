"""Packing of image-level labels next to the usual segmentation inputs."""
from typing import Sequence

import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackImageLevelInputs(PackSegInputs):
    """Pack inputs like :class:`PackSegInputs`, plus the image-level label.

    Everything :class:`PackSegInputs` packs is kept (``gt_sem_seg`` too, when
    the pipeline loaded a mask). The multi-hot ``results['gt_label']`` is
    added to the :class:`SegDataSample` as the data field ``gt_label`` (a
    float32 tensor over the foreground classes) and ``img_id`` joins the
    metainfo, so a model can name its per-image outputs. A subclass that
    sets :attr:`requires_gt_label` to False packs ``gt_label`` only where
    the results have one (:class:`PackCAMInputs`).

    Args:
        meta_keys (Sequence[str]): Keys of ``results`` copied into the
            metainfo of the data sample. Defaults to those of
            :class:`PackSegInputs` plus ``'img_id'``.
    """
    DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                         'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                         'reduce_zero_label', 'img_id')
    requires_gt_label: bool = True

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        """Pack ``results``.

        Args:
            results (dict): Result dict of the pipeline; must hold
                ``gt_label`` (if :attr:`requires_gt_label`).

        Returns:
            dict: ``inputs`` (the image tensor) and ``data_samples`` (a
            :class:`SegDataSample` with ``gt_label`` set).
        """
        gt_label = results.get('gt_label')
        if gt_label is None and self.requires_gt_label:
            raise KeyError(
                "PackImageLevelInputs needs results['gt_label'] (the "
                'multi-hot image-level label that ImageLevelSegDataset '
                f"provides); got keys {sorted(results)} for image "
                f"{results.get('img_path', '<unknown>')}")
        packed = super().transform(results)
        if gt_label is not None:
            packed['data_samples'].gt_label = torch.as_tensor(
                np.asarray(gt_label), dtype=torch.float32)
        return packed
