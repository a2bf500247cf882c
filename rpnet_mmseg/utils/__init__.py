"""Utilities shared by the pipeline's tools."""
from .dense_crf import dense_crf, dense_crf_labels
from .config_retarget import retarget_options
from .demo_data import resolve_demo_data_root
from .stage_paths import StagePaths

__all__ = [
    'StagePaths', 'retarget_options', 'dense_crf', 'dense_crf_labels',
    'resolve_demo_data_root'
]
