"""Visualisation of rpnet_mmseg: CAM and pseudo-label overlays."""
from .overlay import (blend_heatmap, colorize_labels, draw_cam_overlay,
                      draw_label_overlay, draw_panels, save_cam_overlays,
                      save_label_overlays)

__all__ = [
    'draw_cam_overlay', 'save_cam_overlays', 'blend_heatmap',
    'colorize_labels', 'draw_label_overlay', 'draw_panels',
    'save_label_overlays'
]
