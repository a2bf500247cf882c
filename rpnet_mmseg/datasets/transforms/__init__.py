"""Data transforms of rpnet_mmseg."""
from .pack_image_level_inputs import PackImageLevelInputs

__all__ = ['PackImageLevelInputs']
