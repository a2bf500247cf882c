"""Moved to :mod:`rpnet_mmseg.fileio`; import from there."""
from ..fileio import (atomic_write, cam_path, load_cam, read_mask,  # noqa
                      save_npy_atomic, validate_cam_dict)
