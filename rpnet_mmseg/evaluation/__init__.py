"""Evaluation of rpnet_mmseg: stage writers and CAM mIoU.

File formats live in :mod:`rpnet_mmseg.fileio`.
"""
from .cam_health import (DeadStageError, cam_foreground_fractions,
                         check_cam_run, logged_losses)
from .metrics import (CAMIoUMetric, CAMWriter, LabelPNGWriter, StageWriter,
                      cam_confusion, iou_from_confusion)

__all__ = [
    'StageWriter', 'CAMWriter', 'LabelPNGWriter', 'CAMIoUMetric',
    'cam_confusion', 'iou_from_confusion', 'DeadStageError',
    'cam_foreground_fractions', 'check_cam_run', 'logged_losses'
]
