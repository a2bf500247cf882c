"""The CAM file format: ``NAME.npy`` holding a pickled dict.

It is the format IRN's tools read and write (``make_cam.py``,
``eval_cam.py``, ``cam_to_ir_label.py``):

- ``keys``: int64 array [K], the 0-based FOREGROUND class indices of the
  image's own classes (class id in the mask = key + 1, 0 is background),
- ``cam``: float32 array [K, h, w], the stride-4 CAM (for the random walk),
- ``high_res``: float32 array [K, H, W], the CAM at the image's size (for
  evaluation and relation labels),

both ReLU'd and each class map divided by its max (METHOD.md section 2).
Read back with ``np.load(path, allow_pickle=True).item()``. Written with
:func:`rpnet_mmseg.fileio.save_npy_atomic`; read through
:mod:`mmengine.fileio`, so CAM files may live on any backend mmengine
supports.
"""
import io
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine import fileio

CAM_SUFFIX = '.npy'
# The CAM arrays a file may carry, each [K, h, w] with K == len(keys).
CAM_ARRAY_KEYS = ('cam', 'high_res')


def cam_path(cam_dir: str, name: str) -> str:
    """Return the path of the CAM file of image ``name`` in ``cam_dir``.

    Args:
        cam_dir (str): Directory of CAM files.
        name (str): Image name (file stem), e.g. ``'2007_000032'``.

    Returns:
        str: ``cam_dir/NAME.npy``.
    """
    return osp.join(cam_dir, name + CAM_SUFFIX)


def validate_cam_dict(cam_dict: Dict[str, np.ndarray],
                      name: str,
                      image_shape: Optional[Sequence[int]] = None,
                      required: Sequence[str] = ()) -> None:
    """Check that a CAM dict is consistent; raise ValueError naming ``name``.

    Checks: ``keys`` is a 1-D integer array of non-negative class indices;
    every CAM array present is [K, h, w] with K == len(keys) and finite
    values; ``high_res`` matches ``image_shape`` spatially when given; all
    keys in ``required`` are present.

    Args:
        cam_dict (dict): The CAM dict (see module docstring).
        name (str): Image name or file path, used in error messages.
        image_shape (Sequence[int], optional): (H, W) the ``high_res`` map
            must have. Defaults to None (not checked).
        required (Sequence[str]): CAM arrays that must be present.
            Defaults to ().

    Raises:
        ValueError: On any inconsistency.
    """
    if not isinstance(cam_dict, dict) or 'keys' not in cam_dict:
        raise ValueError(f'{name}: a CAM file must hold a dict with "keys" '
                         f'and CAM arrays, got {type(cam_dict).__name__}')
    keys = np.asarray(cam_dict['keys'])
    if keys.ndim != 1 or (keys.size and not np.issubdtype(
            keys.dtype, np.integer)):
        raise ValueError(f'{name}: "keys" must be a 1-D integer array, got '
                         f'shape {keys.shape} dtype {keys.dtype}')
    if keys.size and keys.min() < 0:
        raise ValueError(f'{name}: "keys" must be 0-based foreground class '
                         f'indices (>= 0), got {keys.tolist()}')
    for req in required:
        if req not in cam_dict:
            raise ValueError(f'{name}: missing "{req}" (has '
                             f'{sorted(cam_dict)})')
    num_keys = len(keys)
    for arr_key in CAM_ARRAY_KEYS:
        if arr_key not in cam_dict:
            continue
        arr = np.asarray(cam_dict[arr_key])
        if arr.ndim != 3 or arr.shape[0] != num_keys:
            raise ValueError(f'{name}: "{arr_key}" must be [K, h, w] with '
                             f'K = len(keys) = {num_keys}, got shape '
                             f'{arr.shape}')
        if not np.isfinite(arr).all():
            raise ValueError(f'{name}: "{arr_key}" has NaN or inf values')
    if image_shape is not None and 'high_res' in cam_dict:
        hw = tuple(np.asarray(cam_dict['high_res']).shape[1:])
        if hw != tuple(image_shape[:2]):
            raise ValueError(f'{name}: "high_res" is {hw} but the image / '
                             f'mask is {tuple(image_shape[:2])}')


def load_cam(path: str,
             image_shape: Optional[Sequence[int]] = None,
             required: Sequence[str] = ()) -> Dict[str, np.ndarray]:
    """Load and validate one CAM file.

    Args:
        path (str): Path of ``NAME.npy`` (any mmengine fileio backend).
        image_shape (Sequence[int], optional): (H, W) ``high_res`` must
            have. Defaults to None.
        required (Sequence[str]): CAM arrays that must be present.
            Defaults to ().

    Returns:
        dict: ``keys`` as int64 and the CAM arrays as float32.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not a valid CAM dict (message names it).
    """
    if not fileio.exists(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    try:
        obj = np.load(io.BytesIO(fileio.get(path)), allow_pickle=True)
        cam_dict = obj.item() if obj.dtype == object and obj.ndim == 0 \
            else obj
    except Exception as e:  # corrupt / truncated / not an npy file
        raise ValueError(f'{path}: cannot read CAM file ({e})') from e
    validate_cam_dict(cam_dict, path, image_shape, required)
    out = {'keys': np.asarray(cam_dict['keys']).astype(np.int64)}
    for arr_key in CAM_ARRAY_KEYS:
        if arr_key in cam_dict:
            out[arr_key] = np.asarray(cam_dict[arr_key], dtype=np.float32)
    return out
