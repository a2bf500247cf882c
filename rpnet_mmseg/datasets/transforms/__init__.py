"""Data transforms of rpnet_mmseg."""
from .load_cam_from_file import LoadCAMFromFile
from .load_optional_annotations import LoadOptionalAnnotations
from .pack_cam_inputs import PackCAMInputs
from .pack_image_level_inputs import PackImageLevelInputs

__all__ = [
    'LoadOptionalAnnotations', 'PackImageLevelInputs', 'LoadCAMFromFile',
    'PackCAMInputs'
]
