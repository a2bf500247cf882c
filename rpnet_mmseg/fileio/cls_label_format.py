"""The image-level label file: ``cls_labels.npz``, no pickle.

One uncompressed ``np.savez`` archive with two arrays:

- ``names``: unicode array [N], the image names (file stems), unique,
- ``labels``: float32 array [N, C], row ``i`` the multi-hot vector of
  ``names[i]`` over the C foreground classes (background excluded),

written with :func:`save_cls_labels` (atomic) and read as plain arrays
within a size cap (:mod:`rpnet_mmseg.fileio.array_reader`); a label other
than 0 or 1 (NaN, inf ...) is refused, naming the image. Names may hold
any character, so they are data, never array keys.

:func:`load_cls_labels` also reads IRN's ``cls_labels.npy``, a pickled dict
``{NAME: float32 multi-hot}``, through the restricted unpickler of
:mod:`rpnet_mmseg.fileio.legacy_npy` (refusing anything but numpy arrays,
scalars, dtypes, dict, str, int and float). IRN's VOC file keys the dict by
integers (``2007000032`` for ``2007_000032``, as IRN's
``decode_int_filename`` reads them); such a 10-digit key is turned back
into ``YYYY_NNNNNN``, any other integer into its decimal string.
:func:`find_cls_label_file` falls back from ``cls_labels.npz`` to
``cls_labels.npy`` when only the latter exists, and
``tools/dataset_converters/convert_irn_files.py`` converts one into the
other. Files are read through :mod:`mmengine.fileio`.
"""
import os.path as osp
from typing import Dict, Mapping, Optional

import numpy as np
from mmengine import fileio

from .array_reader import read_npz_bytes
from .atomic import save_npz_atomic
from .legacy_npy import NPY_MAGIC, NPZ_MAGIC, load_npy_restricted
from .tag_format import CLASSES_FILE, is_tag_file, read_tag_file, tag_vectors

__all__ = [
    'CLS_LABEL_FILE', 'LEGACY_CLS_LABEL_FILE', 'find_cls_label_file',
    'load_cls_labels', 'save_cls_labels', 'irn_int_name'
]

CLS_LABEL_FILE = 'cls_labels.npz'
# IRN's file (a pickled dict), still read.
LEGACY_CLS_LABEL_FILE = 'cls_labels.npy'


def irn_int_name(key: int) -> str:
    """The image name of an integer key of IRN's VOC ``cls_labels.npy``.

    Args:
        key (int): e.g. ``2007000032``.

    Returns:
        str: ``'2007_000032'`` for a 10-digit key (IRN's encoding of VOC
        names), else ``str(key)``.
    """
    digits = str(int(key))
    if len(digits) == 10:
        return f'{digits[:4]}_{digits[4:]}'
    return digits


def find_cls_label_file(path: str,
                        backend_args: Optional[dict] = None) -> str:
    """The label file to read for ``path``, with IRN's ``.npy`` fallback.

    Args:
        path (str): The configured file, e.g. ``DATA/cls_labels.npz``.
        backend_args (dict, optional): mmengine fileio backend arguments.
            Defaults to None.

    Returns:
        str: ``path`` if it exists; else, for a ``.npz`` path, the same
        path ending in ``.npy`` if that exists; else ``path``.
    """
    if fileio.exists(path, backend_args=backend_args):
        return path
    stem, ext = osp.splitext(path)
    if ext == '.npz' and fileio.exists(stem + '.npy',
                                       backend_args=backend_args):
        return stem + '.npy'
    return path


def _check_multi_hot(label: np.ndarray, name: str, path: str) -> np.ndarray:
    """Refuse a label vector with values other than 0 and 1 (NaN, inf ...).
    """
    bad = label[(label != 0) & (label != 1)]
    if bad.size:
        raise ValueError(f"{path}: the label of '{name}' holds {bad[0]!r}; "
                         'image-level labels are multi-hot: 0 or 1 for each '
                         'class')
    return label


def _from_npz(raw: bytes, path: str) -> Dict[str, np.ndarray]:
    """Labels of a ``names`` + ``labels`` archive."""
    arrays = read_npz_bytes(raw, path)
    missing = {'names', 'labels'} - set(arrays)
    if missing:
        raise ValueError(f'{path}: missing arrays {sorted(missing)} (has '
                         f'{sorted(arrays)}); a label file holds "names" '
                         '[N] and "labels" [N, C]')
    names, labels = arrays['names'], arrays['labels']
    if names.ndim != 1 or names.dtype.kind != 'U':
        raise ValueError(f'{path}: "names" must be a 1-D unicode array, got '
                         f'shape {names.shape} dtype {names.dtype}')
    if labels.dtype.kind not in 'biuf':
        raise ValueError(f'{path}: "labels" must hold numbers, got dtype '
                         f'{labels.dtype}')
    if labels.ndim != 2 or labels.shape[0] != names.shape[0]:
        raise ValueError(f'{path}: "labels" must be [N, C] with N = '
                         f'len(names) = {names.shape[0]}, got shape '
                         f'{labels.shape}')
    out = {}
    for name, label in zip(names.tolist(), labels.astype(np.float32)):
        _check_multi_hot(label, name, path)
        if name in out:
            raise ValueError(f"{path}: image name '{name}' appears twice")
        out[name] = label
    return out


def _from_irn_npy(raw: bytes, path: str) -> Dict[str, np.ndarray]:
    """Labels of IRN's pickled ``{NAME: multi-hot}`` dict."""
    labels = load_npy_restricted(raw, path)
    if not isinstance(labels, dict):
        raise ValueError(f'{path}: must hold a dict name -> label vector, '
                         f'got {type(labels).__name__}')
    out = {}
    for key, value in labels.items():
        if isinstance(key, (int, np.integer)):
            name = irn_int_name(key)
        elif isinstance(key, str):
            name = key
        else:
            raise ValueError(f'{path}: image name {key!r} is a '
                             f'{type(key).__name__}, not a str or int')
        if name in out:
            raise ValueError(f"{path}: image name '{name}' appears twice "
                             f'(key {key!r})')
        label = np.asarray(value)
        if label.dtype.hasobject or label.ndim != 1:
            raise ValueError(f"{path}: label of '{name}' must be a numeric "
                             f'1-D vector, got shape {label.shape} dtype '
                             f'{label.dtype}')
        out[name] = _check_multi_hot(label.astype(np.float32), name, path)
    return out


def load_cls_labels(path: str,
                    backend_args: Optional[dict] = None
                    ) -> Dict[str, np.ndarray]:
    """Read image-level labels: ``cls_labels.npz``, IRN's ``.npy``, or the
    tags of a folder (``labels.csv`` / mmpretrain's ``.json``, with the
    ``classes.txt`` beside it: :mod:`rpnet_mmseg.fileio.tag_format`).

    Args:
        path (str): The label file (see :func:`find_cls_label_file` for
            the ``.npy`` fallback); a ``.csv`` or ``.json`` suffix is a tag
            file, otherwise the content, not the suffix, decides how it is
            read.
        backend_args (dict, optional): mmengine fileio backend arguments.
            Defaults to None.

    Returns:
        dict[str, np.ndarray]: Image name -> float32 multi-hot vector, in
        file order.

    Raises:
        FileNotFoundError: If neither the file nor its fallback exists.
        RefusedGlobalError: If an ``.npy`` file's pickle names anything but
            numpy arrays, scalars, dtypes, dict, str, int or float (the
            message names the file and the global; nothing is run).
        ValueError: If the file is malformed (the message names it).
    """
    path = find_cls_label_file(path, backend_args)
    if is_tag_file(path):  # a folder's labels.csv / mmpretrain .json
        return tag_vectors(
            read_tag_file(path, osp.join(osp.dirname(path), CLASSES_FILE)))
    if not fileio.exists(path, backend_args=backend_args):
        raise FileNotFoundError(
            f"class label file (cls_label_file) '{path}' does not exist")
    if fileio.isdir(path, backend_args=backend_args):
        raise IsADirectoryError(
            f"class label file (cls_label_file) '{path}' is a folder")
    raw = fileio.get(path, backend_args=backend_args)
    if raw.startswith(NPZ_MAGIC):
        return _from_npz(raw, path)
    if raw.startswith(NPY_MAGIC):
        return _from_irn_npy(raw, path)
    raise ValueError(f'{path}: not a label file (neither an .npz archive '
                     'nor an .npy file)')


def save_cls_labels(path: str, labels: Mapping[str, np.ndarray]) -> None:
    """Write image-level labels atomically as ``names`` + ``labels``.

    Args:
        path (str): Final local path, normally ``.../cls_labels.npz``.
        labels (Mapping[str, np.ndarray]): Image name -> multi-hot vector
            over the foreground classes; all vectors of one length. Names
            are written in the mapping's order.

    Raises:
        ValueError: If a name is not a str or the vectors differ in length
            (the message names ``path`` and the image).
    """
    names = list(labels)
    rows = [np.asarray(labels[name], dtype=np.float32) for name in names]
    for name, row in zip(names, rows):
        if not isinstance(name, str) or not name:
            raise ValueError(f'{path}: image name {name!r} must be a '
                             'non-empty str')
        if row.ndim != 1 or row.shape != rows[0].shape:
            raise ValueError(
                f"{path}: label of '{name}' has shape {row.shape}, expected "
                f'a vector like the first one, {rows[0].shape}')
    matrix = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
    save_npz_atomic(path, {
        'names': np.array(names, dtype=str),
        'labels': matrix
    })
