"""mmengine metrics of rpnet_mmseg, registered in mmseg's METRICS."""
from .cam_metric import (DEFAULT_THRESHOLDS, CAMIoUMetric, cam_areas,
                         cam_label_map, class_iou_acc, label_areas,
                         summarize_areas)
from .cam_writer import CAMWriter
from .label_png_writer import LabelPNGWriter
from .labelled_iou_metric import LabelledIoUMetric
from .stage_writer import StageWriter, sample_name

__all__ = [
    'StageWriter', 'CAMWriter', 'LabelPNGWriter', 'CAMIoUMetric',
    'DEFAULT_THRESHOLDS', 'cam_areas', 'cam_label_map', 'class_iou_acc',
    'label_areas', 'summarize_areas', 'sample_name', 'LabelledIoUMetric'
]
