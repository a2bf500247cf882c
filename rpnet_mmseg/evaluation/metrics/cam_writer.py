"""Write the CAMs a model predicts to disk, one ``.npz`` file per image."""
from typing import Any, Dict

import numpy as np
from mmseg.registry import METRICS

from ...fileio import CAM_SUFFIX, save_cam, validate_cam_dict
from .stage_writer import StageWriter, get_field, to_numpy


@METRICS.register_module()
class CAMWriter(StageWriter):
    """Save each image's class activation maps as ``output_dir/NAME.npz``.

    The files hold IRN's ``make_cam.py`` arrays under IRN's names,
    ``keys`` int64 [K], ``cam`` float32 [K, h, w] and ``high_res`` float32
    [K, H, W], as an ``.npz`` archive without pickle, read back with
    :func:`rpnet_mmseg.fileio.load_cam`; see
    :mod:`rpnet_mmseg.fileio.cam_format`. Writing is atomic, resumable and
    provenance-checked as for every :class:`StageWriter`. The model's
    ``predict`` must set, per image, metainfo ``img_id`` (or ``img_path``)
    and ``ori_shape`` and data fields ``cam_keys`` [K], ``cam`` [K, h, w]
    and ``high_res`` [K, H, W] with (H, W) == ``ori_shape``.

    Place it before :class:`CAMIoUMetric` in an evaluator list so that the
    metric finds the files of a batch when it processes that batch.

    Args:
        output_dir (str): Directory of the CAM files (local disk).
        on_stale (str): ``'error'`` (default) or ``'overwrite'`` when
            ``output_dir`` holds another producer's CAMs (see
            :class:`StageWriter`).
        stage (str, optional): Stage name recorded in the folder. Defaults
            to None ('CAMWriter').
        collect_device (str): Device used to collect the per-image counts
            across ranks, 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the returned metric names.
            Defaults to None.
    """
    output_suffix = CAM_SUFFIX

    def write_sample(self, sample: Any, name: str, path: str) -> None:
        """Validate one sample's CAMs and save them atomically.

        Raises:
            ValueError: If a CAM field is missing or the shapes disagree
                (the message names the image).
        """
        save_cam(path, self.cam_dict(sample, name))

    @staticmethod
    def cam_dict(sample: Any, name: str) -> Dict[str, np.ndarray]:
        """Build and validate the dict to save for one data sample.

        Args:
            sample (dict | SegDataSample): The model's output for one image.
            name (str): The image name, for messages.

        Returns:
            dict: ``keys``, ``cam`` and ``high_res`` as numpy arrays.
        """
        fields = {'keys': 'cam_keys', 'cam': 'cam', 'high_res': 'high_res'}
        for field in fields.values():
            if get_field(sample, field) is None:
                raise ValueError(f'{name}: the data sample has no "{field}" '
                                 'field; is the model a CAM model in '
                                 'predict mode?')
        cam_dict = {
            'keys': to_numpy(get_field(sample, 'cam_keys'), np.int64),
            'cam': to_numpy(get_field(sample, 'cam'), np.float32),
            'high_res': to_numpy(get_field(sample, 'high_res'), np.float32),
        }
        ori_shape = get_field(sample, 'ori_shape')
        validate_cam_dict(
            cam_dict,
            name,
            image_shape=None if ori_shape is None else ori_shape[:2])
        return cam_dict
