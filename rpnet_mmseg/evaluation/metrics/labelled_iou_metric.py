"""mmseg's IoUMetric over the samples that have a ground-truth mask."""
import logging
from typing import Dict, Sequence

from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class LabelledIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` that skips unlabelled samples.

    For a test split of which only some images have a mask (MSRC-VOC's
    ``val``: masks for the 82 images of ``val_dev``), one test run then
    predicts every image (written by a writer metric next to this one) and
    evaluates the labelled ones. Samples without ``gt_sem_seg`` are left out
    of the confusion counts; the log says how many images were evaluated.
    A run in which no sample has a mask is an error (an mIoU of nothing).
    Arguments as :class:`IoUMetric` (``iou_metrics``, ``ignore_index``,
    ``nan_to_num``, ``beta``, ``collect_device``, ``prefix`` ...).
    """

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add the confusion counts of the samples with a mask."""
        labelled = [s for s in data_samples if 'gt_sem_seg' in s]
        if labelled:
            super().process(data_batch, labelled)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """IoU metrics over the labelled samples of every process."""
        if not results:
            raise ValueError(
                'LabelledIoUMetric: no test sample had a ground-truth mask '
                '(gt_sem_seg); check the split and the mask folder')
        print_log(
            f'{type(self).__name__}: evaluated {len(results)} image(s) '
            'with a mask', logger='current', level=logging.INFO)
        return super().compute_metrics(results)
