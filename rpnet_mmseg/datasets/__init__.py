"""Datasets, transforms and collation for image-level supervision."""
from .image_level_dataset import ImageLevelSegDataset, select_class_subset
from .lazy_build import (build_lazy, config_inputs, data_digests,
                         dataloader_datasets, leaf_datasets)
from .pair_collate import pair_collate
from .pseudo_label_dataset import PseudoLabelSegDataset
from .tagged_folder_dataset import (TaggedFolderDataset,
                                    TaggedFolderSegDataset, folder_images,
                                    folder_metainfo)
from .transforms import (LoadCAMFromFile, LoadOptionalAnnotations,
                         PackCAMInputs, PackImageLevelInputs)
from .voc_layout_dataset import VOCLayoutSegDataset

__all__ = [
    'VOCLayoutSegDataset', 'ImageLevelSegDataset', 'select_class_subset',
    'pair_collate', 'PackImageLevelInputs', 'PseudoLabelSegDataset',
    'LoadOptionalAnnotations', 'LoadCAMFromFile', 'PackCAMInputs',
    'leaf_datasets', 'build_lazy', 'dataloader_datasets', 'config_inputs',
    'data_digests',
    'TaggedFolderDataset', 'TaggedFolderSegDataset', 'folder_images',
    'folder_metainfo'
]
