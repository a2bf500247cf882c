"""mmengine metrics of rpnet_mmseg, registered in mmseg's METRICS."""
from .cam_metric import (DEFAULT_THRESHOLDS, CAMIoUMetric, cam_confusion,
                         cam_label_map, iou_from_confusion, summarize_sweep)
from .cam_writer import CAMWriter

__all__ = [
    'CAMWriter', 'CAMIoUMetric', 'DEFAULT_THRESHOLDS', 'cam_confusion',
    'cam_label_map', 'iou_from_confusion', 'summarize_sweep'
]
