"""rpnet_mmseg: RPNet weakly supervised segmentation for MMSegmentation 1.x.

Importing the package registers its datasets, transforms, models and metrics
in mmseg's registries (use ``custom_imports=dict(imports=['rpnet_mmseg'])``
in a config) and makes every checkpoint load of mmengine (``load_from``,
``--resume``, ``init_cfg=dict(type='Pretrained')``) go through
:func:`rpnet_mmseg.engine.load_checkpoint_file` (weights only, an
allow-list of mmengine's types for those loads only, errors naming the
file).
"""
from .engine import register_checkpoint_loaders

register_checkpoint_loaders()

from . import datasets, evaluation, fileio, models  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['datasets', 'evaluation', 'fileio', 'models', '__version__']
