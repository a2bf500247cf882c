"""Read ``.npy`` / ``.npz`` bytes as data only, within a size cap.

numpy's own readers trust a file's header: ``np.load`` allocates the array
its header declares before reading the bytes, and an ``.npz`` member is
inflated to whatever size its deflate stream produces. These readers check
first and allocate after:

- only plain dtypes: booleans, integers, floats and unicode strings
  (:data:`PLAIN_KINDS`), no object, structured or sub-array dtype;
- the bytes an array declares (shape x item size) must equal the bytes
  present after its header, and be at most :data:`MAX_ARRAY_BYTES`;
- an ``.npz`` member is read only up to the size its zip entry declares,
  which is checked against the cap (one cap for all members together)
  before anything is inflated.

The cap, 2 GiB by default (a float32 CAM of 80 classes at 2048 x 2048 is
1.25 GiB), is set by the environment variable ``RPNET_MAX_ARRAY_BYTES``.
IRN's pickled ``.npy`` files go through :mod:`.legacy_npy`, whose arrays are
checked by the same :func:`check_array_size`.
"""
import io
import os
import zipfile
from typing import Dict, Sequence, Tuple

import numpy as np
from numpy.lib import format as npy_format

__all__ = [
    'MAX_ARRAY_BYTES', 'PLAIN_KINDS', 'ArrayFileError', 'max_array_bytes',
    'check_plain_dtype', 'check_array_size', 'read_npy_header',
    'read_npy_bytes', 'read_npz_bytes'
]

# The default cap on the bytes of one file's arrays.
MAX_ARRAY_BYTES = 2 << 30
# dtype kinds a data file may hold: bool, signed / unsigned int, float,
# unicode string.
PLAIN_KINDS = 'biufU'


class ArrayFileError(ValueError):
    """A file that is not plain array data within the cap (names it)."""


def max_array_bytes() -> int:
    """The cap in bytes: ``RPNET_MAX_ARRAY_BYTES`` or :data:`MAX_ARRAY_BYTES`.
    """
    value = os.environ.get('RPNET_MAX_ARRAY_BYTES', '')
    return int(value) if value.isdigit() else MAX_ARRAY_BYTES


def check_plain_dtype(dtype: np.dtype, path: str, kinds: str = PLAIN_KINDS
                      ) -> np.dtype:
    """Refuse a dtype that is not a plain number or string type.

    Args:
        dtype (np.dtype): The declared dtype.
        path (str): The file (and array), for the message.
        kinds (str): Admitted ``dtype.kind`` letters. Defaults to
            :data:`PLAIN_KINDS`.

    Returns:
        np.dtype: ``dtype``.

    Raises:
        ArrayFileError: For object, structured, sub-array or other dtypes.
    """
    if not isinstance(dtype, np.dtype) or dtype.kind not in kinds \
            or dtype.fields is not None or dtype.subdtype is not None \
            or dtype.hasobject or dtype.itemsize == 0:
        raise ArrayFileError(
            f'{path}: refused an array of dtype {dtype!r}; data files hold '
            f'plain arrays only (dtype kinds {list(kinds)})')
    return dtype


def check_array_size(shape: Sequence[int], itemsize: int, present: int,
                     path: str) -> int:
    """Check an array's declared size against the bytes present and the cap.

    Args:
        shape (Sequence[int]): Declared shape.
        itemsize (int): Bytes per element.
        present (int): Bytes the file holds for the array.
        path (str): The file (and array), for the message.

    Returns:
        int: The array's size in bytes.

    Raises:
        ArrayFileError: If the shape is not non-negative integers, or its
            size differs from ``present`` or exceeds the cap.
    """
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ArrayFileError(f'{path}: invalid array shape {shape!r}')
    nbytes = itemsize
    for n in shape:  # Python ints: no overflow
        nbytes *= n
    cap = max_array_bytes()
    if nbytes > cap:
        raise ArrayFileError(
            f'{path}: an array of shape {tuple(shape)} needs {nbytes} bytes, '
            f'over the cap of {cap} (RPNET_MAX_ARRAY_BYTES)')
    if nbytes != present:
        raise ArrayFileError(
            f'{path}: an array of shape {tuple(shape)} needs {nbytes} bytes '
            f'but the file holds {present}; it is truncated or not written '
            'by numpy')
    return nbytes


def read_npy_header(stream: io.BytesIO, path: str
                    ) -> Tuple[Tuple[int, ...], bool, np.dtype]:
    """Parse an ``.npy`` header: shape, Fortran order, dtype.

    Args:
        stream (io.BytesIO): The file, at its start; left after the header.
        path (str): The file, for the message.

    Returns:
        tuple: ``(shape, fortran_order, dtype)`` as declared.

    Raises:
        ArrayFileError: If the header cannot be parsed.
    """
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            return npy_format.read_array_header_1_0(stream)
        if version == (2, 0):
            return npy_format.read_array_header_2_0(stream)
        return npy_format._read_array_header(stream, version)
    except Exception as e:  # numpy raises ValueError / SyntaxError / ...
        raise ArrayFileError(f'{path}: not a readable .npy file ({e})') from e


def read_npy_bytes(raw: bytes, path: str) -> np.ndarray:
    """Read a plain ``.npy`` file's array after checking its declared size.

    Args:
        raw (bytes): The file's content.
        path (str): The file, for messages.

    Returns:
        np.ndarray: A writable copy of the array.

    Raises:
        ArrayFileError: If the header is unreadable, the dtype not plain,
            or the declared size differs from the bytes present or exceeds
            the cap.
    """
    stream = io.BytesIO(raw)
    shape, fortran, dtype = read_npy_header(stream, path)
    check_plain_dtype(dtype, path)
    offset = stream.tell()
    check_array_size(shape, dtype.itemsize, len(raw) - offset, path)
    flat = np.frombuffer(raw, dtype=dtype, count=(len(raw) - offset) //
                         dtype.itemsize, offset=offset)
    return flat.reshape(shape, order='F' if fortran else 'C').copy(
        order='K')


def read_npz_bytes(raw: bytes, path: str) -> Dict[str, np.ndarray]:
    """Read a plain ``.npz`` archive (stored or deflated) within the cap.

    Args:
        raw (bytes): The archive's content.
        path (str): The file, for messages.

    Returns:
        dict[str, np.ndarray]: Array name (member name without ``.npy``)
        -> array, in archive order.

    Raises:
        ArrayFileError: If the archive is unreadable, declares more than
            the cap, inflates to other sizes than it declares, or holds a
            member that :func:`read_npy_bytes` refuses.
    """
    cap = max_array_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ArrayFileError(f'{path}: not a readable .npz archive ({e})'
                             ) from e
    arrays: Dict[str, np.ndarray] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            where = f'{path}[{info.filename}]'
            total += info.file_size
            if total > cap:
                raise ArrayFileError(
                    f'{where}: the archive declares {total} bytes or more, '
                    f'over the cap of {cap} (RPNET_MAX_ARRAY_BYTES)')
            try:
                with archive.open(info) as member:
                    data = member.read(info.file_size + 1)
            except (zipfile.BadZipFile, ValueError, OSError,
                    NotImplementedError, EOFError) as e:
                raise ArrayFileError(f'{where}: cannot read ({e})') from e
            if len(data) != info.file_size:
                raise ArrayFileError(
                    f'{where}: inflates to more or fewer than the '
                    f'{info.file_size} bytes its entry declares')
            name = info.filename[:-4] if info.filename.endswith('.npy') \
                else info.filename
            if name in arrays:
                raise ArrayFileError(f'{where}: the array name appears twice')
            arrays[name] = read_npy_bytes(data, where)
    return arrays
