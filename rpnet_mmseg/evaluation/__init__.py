"""Evaluation of rpnet_mmseg: stage writers and CAM mIoU.

File formats live in :mod:`rpnet_mmseg.fileio`.
"""
from .metrics import (CAMIoUMetric, CAMWriter, LabelPNGWriter, StageWriter,
                      cam_confusion, iou_from_confusion)

__all__ = [
    'StageWriter', 'CAMWriter', 'LabelPNGWriter', 'CAMIoUMetric',
    'cam_confusion', 'iou_from_confusion'
]
