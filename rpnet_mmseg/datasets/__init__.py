"""Datasets, transforms and collation for image-level supervision."""
from .image_level_dataset import ImageLevelSegDataset, select_class_subset
from .pair_collate import pair_collate
from .transforms import PackImageLevelInputs

__all__ = [
    'ImageLevelSegDataset', 'select_class_subset', 'pair_collate',
    'PackImageLevelInputs'
]
