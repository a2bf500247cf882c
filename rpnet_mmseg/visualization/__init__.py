"""Visualisation of rpnet_mmseg: CAM overlays."""
from .cam_overlay import (blend_heatmap, colorize_labels, draw_cam_overlay,
                          save_cam_overlays)

__all__ = [
    'draw_cam_overlay', 'save_cam_overlays', 'blend_heatmap',
    'colorize_labels'
]
