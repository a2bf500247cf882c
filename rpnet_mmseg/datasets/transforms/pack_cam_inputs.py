"""Pack an image with its CAM for IRN's inference."""
from typing import Sequence

import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackCAMInputs(PackSegInputs):
    """Pack inputs like :class:`PackSegInputs`, plus the image's CAM.

    ``results['cam']`` and ``results['cam_keys']`` (from
    :class:`LoadCAMFromFile`) become the data fields ``cam`` (float32
    (K, h, w)) and ``cam_keys`` (int64 (K, )) of the
    :class:`SegDataSample`; ``gt_label`` is packed too when present, and
    ``img_id`` joins the metainfo.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo. Defaults
            to those of :class:`PackSegInputs` plus ``'img_id'``.
    """
    DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                         'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                         'reduce_zero_label', 'img_id')

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        """Pack ``results``.

        Args:
            results (dict): Pipeline results with ``cam`` and ``cam_keys``.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        missing = [k for k in ('cam', 'cam_keys') if k not in results]
        if missing:
            raise KeyError(
                f'PackCAMInputs needs {missing} in the results of image '
                f"{results.get('img_path', '<unknown>')}: put "
                'LoadCAMFromFile before it in the pipeline')
        packed = super().transform(results)
        sample = packed['data_samples']
        sample.cam = torch.as_tensor(
            np.ascontiguousarray(results['cam']), dtype=torch.float32)
        sample.cam_keys = torch.as_tensor(
            np.asarray(results['cam_keys']), dtype=torch.long)
        if results.get('gt_label') is not None:
            sample.gt_label = torch.as_tensor(
                np.asarray(results['gt_label']), dtype=torch.float32)
        return packed
