"""mmseg's IoUMetric over the samples that have a ground-truth mask."""
import logging
from typing import Dict, Sequence

from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS


def _shape(field) -> tuple:
    """(H, W) of a packed ``PixelData`` (dict or object)."""
    data = field['data'] if isinstance(field, dict) else field.data
    return tuple(data.shape[-2:])


@METRICS.register_module()
class LabelledIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` over the samples with a mask.

    A test split of which only some images have a mask (MSRC-VOC's ``val``:
    82 of 164; the pseudo-labels of ``train``: 165 of 330) is predicted
    whole (a writer metric next to this one writes every image) and scored
    on the labelled images: samples with ``gt_sem_seg``
    (``LoadOptionalAnnotations`` loads it when the image has a mask) go
    through mmseg's computation (``intersect_and_union``, the per-class
    table in the log), the others are counted. The metrics add
    ``num_with_mask`` and ``num_without_mask`` (names apart from a writer's
    ``num_written`` / ``num_skipped``, which share the evaluator).

    Args:
        allow_no_mask (bool): What a run in which no sample has a mask
            gives: False (predictions) an error, an mIoU of nothing; True
            (pseudo-labels of a split whose masks are all held back) only
            the counts and a warning, so that the run still writes its
            files. Defaults to False.
        **kwargs: Arguments of :class:`IoUMetric` (``iou_metrics``,
            ``ignore_index``, ``nan_to_num``, ``collect_device``, ...).
    """

    def __init__(self, allow_no_mask: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.allow_no_mask = allow_no_mask

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add the counts of each sample with a mask, a marker for others.

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
                    f"prediction is {_shape(sample['pred_sem_seg'])} but "
                    f"its mask is {_shape(sample['gt_sem_seg'])}")
            super().process(data_batch, [sample])

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """IoU metrics over the evaluated samples, plus the counts.

        Raises:
            ValueError: No sample had a mask and ``allow_no_mask`` is False.
        """
        evaluated = [r for r in results if r is not None]
        skipped = len(results) - len(evaluated)
        counts = dict(num_with_mask=len(evaluated), num_without_mask=skipped)
        if not evaluated and not self.allow_no_mask:
            raise ValueError(
                f'{type(self).__name__}: no test sample had a ground-truth '
                'mask (gt_sem_seg); check the split and the mask folder, or '
                'set allow_no_mask=True to only count them')
        print_log(
            f'{type(self).__name__}: {len(evaluated)} image(s) with a mask '
            f'evaluated, {skipped} without a mask skipped',
            logger='current',
            level=logging.INFO if evaluated else logging.WARNING)
        if not evaluated:
            return counts
        metrics = super().compute_metrics(evaluated)
        metrics.update(counts)
        return metrics
