"""Pack an image with its CAM for IRN's inference."""
import numpy as np
import torch
from mmseg.registry import TRANSFORMS

from .pack_image_level_inputs import PackImageLevelInputs


@TRANSFORMS.register_module()
class PackCAMInputs(PackImageLevelInputs):
    """Pack inputs like :class:`PackImageLevelInputs`, plus the image's CAM.

    ``results['cam']`` and ``results['cam_keys']`` (from
    :class:`LoadCAMFromFile`) become the data fields ``cam`` (float32
    (K, h, w)) and ``cam_keys`` (int64 (K, )) of the
    :class:`SegDataSample`; ``gt_label`` is packed too when present, and
    ``img_id`` joins the metainfo.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo. Defaults
            to those of :class:`PackSegInputs` plus ``'img_id'``.
    """
    requires_gt_label = False

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
        return packed
