"""The CAM stage: plain CAM baseline and RPNet (paper section III)."""
from .cam_classifier import CAMClassifier
from .cam_head import CAMHead
from .gaussian_reweighting import GaussianReweighting, gaussian_kernel2d
from .multi_level_activation import (MultiLevelActivation,
                                     normalize_by_spatial_max)
from .prototype_comparator import PrototypeComparator
from .region_prototype import (confidence_mask, masked_average_pool,
                               pair_prototypes)
from .rpnet_head import RPNetHead

__all__ = [
    'CAMClassifier', 'CAMHead', 'RPNetHead', 'MultiLevelActivation',
    'PrototypeComparator', 'GaussianReweighting', 'gaussian_kernel2d',
    'normalize_by_spatial_max', 'confidence_mask', 'masked_average_pool',
    'pair_prototypes'
]
