"""mmengine metrics of rpnet_mmseg, registered in mmseg's METRICS."""
from .cam_metric import (DEFAULT_THRESHOLDS, CAMIoUMetric, cam_areas,
                         cam_confusion, cam_label_map, iou_from_confusion,
                         summarize_areas, summarize_sweep)
from .cam_writer import CAMWriter
from .label_png_writer import LabelPNGWriter
from .labelled_iou_metric import LabelledIoUMetric
from .pseudo_label_iou_metric import PseudoLabelIoUMetric
from .stage_writer import StageWriter, sample_name

__all__ = [
    'StageWriter', 'CAMWriter', 'LabelPNGWriter', 'CAMIoUMetric',
    'DEFAULT_THRESHOLDS', 'cam_areas', 'cam_confusion', 'cam_label_map',
    'iou_from_confusion', 'summarize_areas', 'summarize_sweep', 'sample_name',
    'LabelledIoUMetric', 'PseudoLabelIoUMetric'
]
