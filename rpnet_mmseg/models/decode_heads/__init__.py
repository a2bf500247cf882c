"""Decode heads registered by rpnet_mmseg."""
from .deeplab_largefov_head import DeepLabLargeFOVHead

__all__ = ['DeepLabLargeFOVHead']
