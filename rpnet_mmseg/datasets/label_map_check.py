"""Check a label map against its image as soon as the pipeline loads it.

mmseg's ``LoadAnnotations`` reads a label PNG as it is: an RGB PNG (colours,
not class ids) becomes an (H, W, 3) array, and a label map of another size
than its image is resized with it by the next transform, so neither error
shows later. The datasets of rpnet_mmseg run their pipeline through
:func:`run_pipeline_checked`, which checks the label map
(:func:`rpnet_mmseg.fileio.check_label_map`) right after the transform that
loaded it, whatever that transform is (``LoadAnnotations``,
``LoadOptionalAnnotations``, a user's own), and any other failure of the
pipeline (an unreadable image or label PNG) is raised again naming the
sample's files.
"""
from typing import Any, Optional

from mmengine.dataset import Compose

from ..fileio import LabelMapError, check_label_map

__all__ = ['run_pipeline_checked']


def run_pipeline_checked(pipeline: Compose, results: dict) -> Optional[Any]:
    """Run ``pipeline`` as mmengine's ``Compose`` does, checking the label map.

    After the first transform whose output holds ``gt_seg_map``, that map
    must be (H, W) class ids of the size of the image (``ori_shape``, set
    by ``LoadImageFromFile``).

    Args:
        pipeline (Compose): A dataset's pipeline.
        results (dict): The data info of one sample.

    Returns:
        Any: The pipeline's output, or None when a transform returned None.

    Raises:
        LabelMapError: Naming the label map, its image and both shapes.
        RuntimeError: Any other failure of a transform, naming the image
            and its label map (the original error chained).
    """
    info = results
    checked = False
    try:
        for transform in pipeline.transforms:
            results = transform(results)
            if results is None:
                return None
            if not checked and isinstance(results, dict) and \
                    results.get('gt_seg_map') is not None:
                check_label_map(
                    results['gt_seg_map'], results.get('seg_map_path'),
                    results.get('ori_shape') or results.get('img_shape'),
                    results.get('img_path'))
                checked = True
    except LabelMapError:  # names the label map and the image
        raise
    except Exception as e:
        label = info.get('seg_map_path')
        files = f"'{info.get('img_path')}'" + (
            f" (label map '{label}')" if label else '')
        raise RuntimeError(
            f'{files}: the data pipeline failed ({type(e).__name__}: {e}); '
            'are the files readable?') from e
    return results
