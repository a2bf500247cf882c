"""Evaluation of rpnet_mmseg: CAM files on disk and their mIoU."""
from .cam_io import cam_path, load_cam, read_mask, save_npy_atomic
from .metrics import (CAMIoUMetric, CAMWriter, cam_confusion,
                      iou_from_confusion)

__all__ = [
    'CAMWriter', 'CAMIoUMetric', 'cam_confusion', 'iou_from_confusion',
    'cam_path', 'load_cam', 'read_mask', 'save_npy_atomic'
]
