"""mmseg's LoadAnnotations for splits where only some images have masks."""
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadOptionalAnnotations(LoadAnnotations):
    """Load the label map when the sample has one, else pass through.

    For test-time pipelines over a split of which only some images have a
    mask (``PseudoLabelSegDataset(seg_map_optional=True)``, e.g. MSRC-VOC's
    ``val`` with masks for ``val_dev``): samples with ``seg_map_path=None``
    get no ``gt_seg_map``, so ``PackSegInputs`` packs no ``gt_sem_seg`` and
    ``LabelledIoUMetric`` leaves them out. Arguments as
    :class:`mmseg.datasets.transforms.LoadAnnotations`.
    """

    def transform(self, results: dict) -> dict:
        """Load ``gt_seg_map`` if ``results['seg_map_path']`` is set."""
        if results.get('seg_map_path') is None:
            return results
        return super().transform(results)
