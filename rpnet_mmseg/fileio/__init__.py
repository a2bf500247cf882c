"""One home for rpnet_mmseg's on-disk formats and writers.

Every stage imports its file formats from here: atomic writes, the CAM
``.npz`` format, the image-level label file, label PNGs (masks, relation
labels, pseudo-labels), split files and the one record of what made an
output. IRN's pickled ``.npy`` files are read only through the restricted
unpickler of :mod:`.legacy_npy`.
"""
from .atomic import (atomic_write, open_nofollow, remove_stale_tmp_files,
                     save_npz_atomic, save_json_atomic, save_text_atomic)
from .cam_format import (CAM_ARRAY_KEYS, CAM_SUFFIX, LEGACY_CAM_SUFFIX,
                         cam_label_map, cam_path, format_threshold, load_cam,
                         save_cam, validate_cam_dict)
from .cls_label_format import (CLS_LABEL_FILE, LEGACY_CLS_LABEL_FILE,
                               find_cls_label_file, irn_int_name,
                               load_cls_labels, save_cls_labels)
from .label_format import (LABEL_SUFFIX, LabelMapError, check_label_map,
                           label_path, read_mask, save_label_png, voc_colormap)
from .legacy_npy import RefusedGlobalError, load_npy_restricted
from .provenance import (ON_STALE, STAGE_FILE, StaleOutputError,
                         check_or_record, describe_producer, file_sha1,
                         flatten_config, make_record, note_written,
                         read_record, record_changes, same_producer,
                         unknown_producer, unrooter, weights_sha1,
                         written_files)
from .split_format import check_image_name, image_file, read_split, split_path
from .tag_format import (CLASSES_FILE, IMAGE_SUFFIXES, TagTable, find_tag_file,
                         read_tag_file, tag_vectors)

__all__ = [
    'atomic_write', 'save_npz_atomic', 'save_text_atomic', 'save_json_atomic',
    'remove_stale_tmp_files', 'open_nofollow', 'CAM_SUFFIX',
    'LEGACY_CAM_SUFFIX',
    'CAM_ARRAY_KEYS', 'cam_path', 'load_cam', 'save_cam', 'validate_cam_dict',
    'cam_label_map', 'format_threshold',
    'CLS_LABEL_FILE', 'LEGACY_CLS_LABEL_FILE', 'find_cls_label_file',
    'irn_int_name', 'load_cls_labels', 'save_cls_labels',
    'RefusedGlobalError', 'load_npy_restricted', 'LABEL_SUFFIX', 'label_path',
    'read_mask', 'save_label_png', 'voc_colormap', 'STAGE_FILE', 'ON_STALE',
    'StaleOutputError', 'check_or_record', 'describe_producer',
    'file_sha1', 'flatten_config', 'make_record', 'read_record',
    'record_changes', 'unrooter',
    'same_producer', 'unknown_producer', 'weights_sha1', 'note_written',
    'written_files', 'LabelMapError', 'check_label_map', 'read_split',
    'check_image_name', 'image_file', 'split_path', 'CLASSES_FILE',
    'IMAGE_SUFFIXES', 'TagTable', 'find_tag_file', 'read_tag_file',
    'tag_vectors'
]
