"""The CAM file format: ``NAME.npz`` holding IRN's arrays, no pickle.

The arrays and their names are those of IRN's CAM files (``make_cam.py``,
``eval_cam.py``, ``cam_to_ir_label.py``):

- ``keys``: int64 array [K], the 0-based FOREGROUND class indices of the
  image's own classes (class id in the mask = key + 1, 0 is background),
- ``cam``: float32 array [K, h, w], the stride-4 CAM (for the random walk),
- ``high_res``: float32 array [K, H, W], the CAM at the image's size (for
  evaluation and relation labels),

both ReLU'd and each class map divided by its max (docs/en/method.md
section 2.1).
The project writes them as an uncompressed ``np.savez`` archive with
:func:`save_cam` (atomic, refuses object arrays) and reads them as plain
arrays within a size cap (:mod:`rpnet_mmseg.fileio.array_reader`).
:func:`load_cam` also reads IRN's own format, ``NAME.npy`` holding a
pickled dict, through the restricted unpickler of
:mod:`rpnet_mmseg.fileio.legacy_npy` (plain numpy arrays, dict, str, int,
float and IRN's CPU tensors only; anything else is refused before it
runs). :func:`cam_path` finds ``NAME.npz`` and falls back to
``NAME.npy`` when only that exists, so folders of IRN CAMs are read as
they are; ``tools/dataset_converters/convert_irn_files.py`` converts them.
:func:`cam_label_map` reads a CAM as the label map at a background score t
(docs/en/method.md section 2.2), the reading the CAM metric and the overlays
share.
Files are read through :mod:`mmengine.fileio`, so CAM files may live on any
backend mmengine supports.
"""
import os.path as osp
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
from mmengine import fileio

from .array_reader import read_npz_bytes
from .atomic import save_npz_atomic
from .legacy_npy import NPY_MAGIC, NPZ_MAGIC, load_npy_restricted

__all__ = [
    'CAM_SUFFIX', 'LEGACY_CAM_SUFFIX', 'CAM_ARRAY_KEYS', 'cam_path',
    'validate_cam_dict', 'load_cam', 'save_cam', 'cam_label_map',
    'format_threshold'
]

CAM_SUFFIX = '.npz'
# IRN's CAM files (a pickled dict), still read.
LEGACY_CAM_SUFFIX = '.npy'
# The CAM arrays a file may carry, each [K, h, w] with K == len(keys).
CAM_ARRAY_KEYS = ('cam', 'high_res')


def cam_path(cam_dir: str,
             name: str,
             backend_args: Optional[dict] = None) -> str:
    """Return the path of the CAM file of image ``name`` in ``cam_dir``.

    Args:
        cam_dir (str): Directory of CAM files.
        name (str): Image name (file stem), e.g. ``'2007_000032'``.
        backend_args (dict, optional): mmengine fileio backend arguments.
            Defaults to None.

    Returns:
        str: ``cam_dir/NAME.npz``, or ``cam_dir/NAME.npy`` (IRN's format)
        when only that file exists.
    """
    path = osp.join(cam_dir, name + CAM_SUFFIX)
    if fileio.exists(path, backend_args=backend_args):
        return path
    legacy = osp.join(cam_dir, name + LEGACY_CAM_SUFFIX)
    if fileio.exists(legacy, backend_args=backend_args):
        return legacy
    return path


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
    odd = [key for key in cam_dict if not isinstance(key, str)]
    if odd:
        raise ValueError(f'{name}: the CAM dict has keys {odd!r} that are '
                         'not names; it holds "keys" and CAM arrays')
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
        if arr.dtype.kind not in 'biuf':
            raise ValueError(f'{name}: "{arr_key}" must hold numbers, got '
                             f'dtype {arr.dtype}')
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


def _read_cam_arrays(raw: bytes, path: str) -> Mapping:
    """The arrays of a CAM file: an ``.npz`` or IRN's pickled ``.npy``."""
    if raw.startswith(NPZ_MAGIC):
        return read_npz_bytes(raw, path)
    if raw.startswith(NPY_MAGIC):
        return load_npy_restricted(raw, path)
    raise ValueError(f'{path}: not a CAM file (neither an .npz archive nor '
                     'an .npy file)')


def load_cam(path: str,
             image_shape: Optional[Sequence[int]] = None,
             required: Sequence[str] = (),
             backend_args: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Load and validate one CAM file, ``NAME.npz`` or IRN's ``NAME.npy``.

    Args:
        path (str): Path of the file (any mmengine fileio backend); its
            content, not its suffix, decides how it is read.
        image_shape (Sequence[int], optional): (H, W) ``high_res`` must
            have. Defaults to None.
        required (Sequence[str]): CAM arrays that must be present.
            Defaults to ().
        backend_args (dict, optional): mmengine fileio backend arguments.
            Defaults to None.

    Returns:
        dict: ``keys`` as int64 and the CAM arrays as float32.

    Raises:
        FileNotFoundError: If the file does not exist.
        RefusedGlobalError: If an ``.npy`` file's pickle names anything
            but numpy arrays, dtypes, dicts, str, int, float or CPU tensors
            (the message names the file and the global; nothing is run).
        ValueError: If the file is not a valid CAM file (message names it).
    """
    if not fileio.exists(path, backend_args=backend_args):
        raise FileNotFoundError(f'CAM file not found: {path}')
    if fileio.isdir(path, backend_args=backend_args):
        raise IsADirectoryError(f'{path}: is a folder, not a CAM file')
    cam_dict = _read_cam_arrays(
        fileio.get(path, backend_args=backend_args), path)
    validate_cam_dict(cam_dict, path, image_shape, required)
    out = {'keys': np.asarray(cam_dict['keys']).astype(np.int64)}
    for arr_key in CAM_ARRAY_KEYS:
        if arr_key in cam_dict:
            out[arr_key] = np.asarray(cam_dict[arr_key], dtype=np.float32)
    return out


def save_cam(path: str, cam_dict: Mapping[str, np.ndarray]) -> None:
    """Validate a CAM dict and write it atomically as ``.npz`` (no pickle).

    Args:
        path (str): Final local path, normally from ``CAM_SUFFIX``.
        cam_dict (Mapping[str, np.ndarray]): ``keys`` and any of
            ``cam`` / ``high_res`` (see the module docstring).

    Raises:
        ValueError: If the dict is not a valid CAM dict or holds other
            arrays (the message names ``path``).
    """
    if not isinstance(cam_dict, Mapping):
        raise ValueError(f'{path}: a CAM must be a dict with "keys" and CAM '
                         f'arrays, got {type(cam_dict).__name__}')
    extra = sorted(set(cam_dict) - {'keys', *CAM_ARRAY_KEYS})
    if extra:
        raise ValueError(f'{path}: unknown CAM arrays {extra}; a CAM file '
                         f'holds "keys" and {list(CAM_ARRAY_KEYS)}')
    validate_cam_dict(dict(cam_dict), path)
    arrays = {'keys': np.asarray(cam_dict['keys']).astype(np.int64)}
    for arr_key in CAM_ARRAY_KEYS:
        if arr_key in cam_dict:
            arrays[arr_key] = np.asarray(cam_dict[arr_key], dtype=np.float32)
    save_npz_atomic(path, arrays)


def format_threshold(t: float) -> str:
    """Format a background score: 0.1 -> '0.10', 0.125 -> '0.125'.

    Args:
        t (float): Threshold.

    Returns:
        str: The formatted threshold.
    """
    return f'{t:.2f}' if round(t, 2) == t else f'{t:g}'


def cam_label_map(cams: np.ndarray, keys: np.ndarray,
                  threshold: float) -> np.ndarray:
    """Turn an image's class maps into a label map with a background score.

    Equivalent to IRN's ``argmax(pad(cams, t as channel 0))`` followed by
    ``pad(keys + 1)[argmax]``: argmax returns the first maximum, so a pixel
    whose best class score equals ``t`` is background.

    Args:
        cams (np.ndarray): [K, H, W] class maps, normalised to [0, 1].
        keys (np.ndarray): [K] 0-based foreground class indices.
        threshold (float): The constant background score t.

    Returns:
        np.ndarray: int64 [H, W] class ids, 0 = background, key + 1 else.
    """
    if len(keys) == 0:
        return np.zeros(cams.shape[1:], dtype=np.int64)
    labels = np.asarray(keys, dtype=np.int64)[cams.argmax(axis=0)] + 1
    # Compare in the CAM's dtype, as IRN does after padding t into the array.
    t = np.asarray(threshold, dtype=cams.dtype)
    return np.where(cams.max(axis=0) > t, labels, 0)
