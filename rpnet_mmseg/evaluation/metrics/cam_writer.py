"""Write the CAMs a model predicts to disk, one IRN-style file per image."""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from mmseg.registry import METRICS

from ..cam_io import cam_path, save_npy_atomic, validate_cam_dict


def _get(sample: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a data sample given as dict or SegDataSample.

    mmengine's Evaluator hands metrics ``data_sample.to_dict()``, which
    flattens metainfo and data fields into one dict; both types have ``get``.
    """
    return sample.get(key, default)


def _to_numpy(value: Any, dtype: type) -> np.ndarray:
    """Convert a tensor or array-like to a CPU numpy array of ``dtype``."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(value), dtype=dtype)


def sample_name(sample: Any) -> str:
    """Return the image name (file stem) of a data sample.

    Uses the ``img_id`` metainfo the rpnet datasets set, else the stem of
    ``img_path``.

    Args:
        sample (dict | SegDataSample): The data sample.

    Returns:
        str: The image name.

    Raises:
        ValueError: If the sample has neither ``img_id`` nor ``img_path``.
    """
    name = _get(sample, 'img_id')
    if name is None:
        img_path = _get(sample, 'img_path')
        if img_path is None:
            raise ValueError('data sample has neither "img_id" nor '
                             '"img_path" metainfo; cannot name its CAM file')
        name = osp.splitext(osp.basename(img_path))[0]
    name = str(name)
    if not name or '/' in name or name.startswith('.'):
        raise ValueError(f'invalid image name for a CAM file: {name!r}')
    return name


@METRICS.register_module()
class CAMWriter(BaseMetric):
    """Save each image's class activation maps as ``output_dir/NAME.npy``.

    Not a score: a "metric" so that the CAM step runs under ``tools/test.py``
    (and ``dist_test.sh``, where every rank writes the images of its own
    shard). The files follow IRN's ``make_cam.py`` format, a dict
    ``{'keys': int64 [K], 'cam': float32 [K, h, w],
    'high_res': float32 [K, H, W]}`` read back with
    ``np.load(path, allow_pickle=True).item()``; see
    :mod:`rpnet_mmseg.evaluation.cam_io`.

    Each file is written atomically (temporary file, fsync, ``os.replace``),
    so an existing file is complete by construction: it is skipped, which
    makes an interrupted run resumable. The model's ``predict`` must set, per
    image, metainfo ``img_id`` (or ``img_path``) and ``ori_shape`` and data
    fields ``cam_keys`` [K], ``cam`` [K, h, w] and ``high_res`` [K, H, W]
    with (H, W) == ``ori_shape``.

    Place it before :class:`CAMIoUMetric` in an evaluator list so that the
    metric finds the files of a batch when it processes that batch.

    Args:
        output_dir (str): Directory of the CAM files (local disk).
        collect_device (str): Device used to collect the per-image counts
            across ranks, 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the returned metric names.
            Defaults to None.
    """

    def __init__(self,
                 output_dir: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        self.output_dir = output_dir
        mkdir_or_exist(output_dir)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Validate and write the CAMs of one batch.

        Appends one ``(written, skipped)`` pair per image; mmengine collects
        one entry per dataset item across ranks and drops the sampler's
        padding, so the final counts match the dataset.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | SegDataSample]): The model outputs.

        Raises:
            ValueError: If a sample lacks a CAM field or its shapes are
                inconsistent (the message names the image).
        """
        for sample in data_samples:
            name = sample_name(sample)
            cam_dict = self._cam_dict(sample, name)
            path = cam_path(self.output_dir, name)
            if osp.exists(path):
                self.results.append((0, 1))
                continue
            save_npy_atomic(path, cam_dict)
            self.results.append((1, 0))

    @staticmethod
    def _cam_dict(sample: Any, name: str) -> Dict[str, np.ndarray]:
        """Build and validate the dict to save for one data sample."""
        fields = {'keys': 'cam_keys', 'cam': 'cam', 'high_res': 'high_res'}
        for field in fields.values():
            if _get(sample, field) is None:
                raise ValueError(f'{name}: the data sample has no "{field}" '
                                 'field; is the model a CAM model in '
                                 'predict mode?')
        cam_dict = {
            'keys': _to_numpy(_get(sample, 'cam_keys'), np.int64),
            'cam': _to_numpy(_get(sample, 'cam'), np.float32),
            'high_res': _to_numpy(_get(sample, 'high_res'), np.float32),
        }
        ori_shape = _get(sample, 'ori_shape')
        validate_cam_dict(
            cam_dict,
            name,
            image_shape=None if ori_shape is None else ori_shape[:2])
        return cam_dict

    def compute_metrics(self, results: List[tuple]) -> Dict[str, int]:
        """Sum the per-image counts of all ranks.

        Args:
            results (list[tuple]): ``(written, skipped)`` per image.

        Returns:
            dict: ``num_written`` and ``num_skipped``.
        """
        written = int(sum(r[0] for r in results))
        skipped = int(sum(r[1] for r in results))
        print_log(
            f'CAMWriter: {written} CAM files written, {skipped} already '
            f'present, in {self.output_dir}',
            logger=MMLogger.get_current_instance())
        return {'num_written': written, 'num_skipped': skipped}
