"""Pseudo-label mIoU against the masks that exist."""
import logging
from typing import Dict, Sequence

from mmengine.logging import print_log
from mmseg.registry import METRICS

from .labelled_iou_metric import LabelledIoUMetric


def _shape(field) -> tuple:
    """(H, W) of a packed ``PixelData`` (dict or object)."""
    data = field['data'] if isinstance(field, dict) else field.data
    return tuple(data.shape[-2:])


@METRICS.register_module()
class PseudoLabelIoUMetric(LabelledIoUMetric):
    """mIoU of pseudo-labels (``pred_sem_seg``) where a mask exists.

    The pseudo-label stage predicts every training image; masks exist for a
    part of them at most (MSRC-VOC: ``train_dev``, 165 of 330). Samples with
    a ``gt_sem_seg`` (``LoadOptionalAnnotations`` loads it when the image
    has a mask) are evaluated with mmseg's :class:`IoUMetric` computation
    (``intersect_and_union``, per-class table in the log); the others are
    counted as skipped. The returned metrics add ``num_with_mask`` and
    ``num_without_mask`` (names apart from a writer's ``num_written`` /
    ``num_skipped``, which share the evaluator); with no mask at all only
    the counts are returned (and a warning is logged), so that a run over a
    split without masks still writes its pseudo-labels and succeeds.

    Arguments as :class:`mmseg.evaluation.IoUMetric`.
    """

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add confusion counts, or a skip marker, for each sample.

        Raises:
            ValueError: If a prediction and its mask differ in size (the
                message names the image).
        """
        # One entry per sample, in sample order: mmengine's result
        # collection drops the distributed sampler's padding by position.
        for sample in data_samples:
            if 'gt_sem_seg' not in sample:
                self.results.append(None)
                continue
            if _shape(sample['pred_sem_seg']) != _shape(sample['gt_sem_seg']):
                raise ValueError(
                    f"{sample.get('img_path', sample.get('img_id'))}: the "
                    f"pseudo-label is {_shape(sample['pred_sem_seg'])} but "
                    f"its mask is {_shape(sample['gt_sem_seg'])}")
            super().process(data_batch, [sample])

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """IoU metrics over the evaluated samples, plus the counts."""
        evaluated = [r for r in results if r is not None]
        skipped = len(results) - len(evaluated)
        print_log(
            f'{type(self).__name__}: {len(evaluated)} image(s) with a mask '
            f'evaluated, {skipped} without a mask skipped',
            logger='current',
            level=logging.INFO if evaluated else logging.WARNING)
        counts = dict(num_with_mask=len(evaluated), num_without_mask=skipped)
        if not evaluated:
            return counts
        metrics = super().compute_metrics(evaluated)
        metrics.update(counts)
        return metrics
