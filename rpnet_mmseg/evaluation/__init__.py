"""Evaluation of rpnet_mmseg: stage writers and CAM mIoU.

File formats live in :mod:`rpnet_mmseg.fileio`.
"""
from .cam_health import (DeadStageError, cam_foreground_fractions,
                         check_cam_run, logged_losses)
from .metrics import (CAMIoUMetric, CAMWriter, LabelPNGWriter,
                      LabelledIoUMetric, StageWriter, cam_areas,
                      class_iou_acc, label_areas, summarize_areas)

__all__ = [
    'StageWriter', 'CAMWriter', 'LabelPNGWriter', 'CAMIoUMetric',
    'LabelledIoUMetric', 'cam_areas', 'class_iou_acc', 'label_areas',
    'summarize_areas', 'DeadStageError',
    'cam_foreground_fractions', 'check_cam_run', 'logged_losses'
]
