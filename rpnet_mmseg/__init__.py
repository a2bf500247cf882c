"""rpnet_mmseg: RPNet weakly supervised segmentation for MMSegmentation 1.x.

Importing the package registers its datasets, transforms, models and metrics
in mmseg's registries (use ``custom_imports=dict(imports=['rpnet_mmseg'])``
in a config) and lets torch >= 2.6 load mmengine checkpoints.
"""
from .engine import allow_mmengine_checkpoint_types

allow_mmengine_checkpoint_types()

from . import datasets, evaluation, fileio, models  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['datasets', 'evaluation', 'fileio', 'models', '__version__']
