"""Read IRN-format ``.npy`` files (a pickled dict) without running code.

IRN's ``make_cam.py`` and ``make_cls_labels.py`` (and the releases built on
them, RPNet's included) save Python dicts with ``np.save``: the ``.npy``
file holds a 0-d object array whose payload is a pickle. Unpickling an
untrusted file can run any code, so this module is the project's ONE place
that unpickles, with :class:`RestrictedUnpickler`, which admits only the
globals those files hold:

- numpy arrays, scalars and dtypes: ``numpy.ndarray``, ``numpy.dtype``,
  the ``numpy.dtypes.*DType`` classes, ``_reconstruct`` and ``scalar``
  of ``numpy.core.multiarray`` (numpy 1.x) or ``numpy._core.multiarray``
  (numpy 2.x), and ``_frombuffer`` of ``numpy[._]core.numeric``;
- the builtins ``dict``, ``str``, ``int`` and ``float``;
- torch tensors, because IRN's ``make_cam.py`` stores ``keys`` and ``cam``
  as CPU tensors: ``torch._utils._rebuild_tensor_v2`` and
  ``torch.storage._load_from_bytes`` are NOT resolved to torch's own
  functions but to stand-ins that rebuild the storage with
  ``torch.load(..., weights_only=True)`` (torch's own restricted loader)
  and return a numpy array; their ``backward_hooks`` argument needs
  ``collections.OrderedDict``.

Any other global (``posix.system``, ``builtins.eval``, a class of another
package ...) is refused with :class:`RefusedGlobalError`, which names the
file and the global, before anything is called. The project writes its
own files without pickle (``.npz`` read with ``allow_pickle=False``, see
:mod:`rpnet_mmseg.fileio.cam_format` and
:mod:`rpnet_mmseg.fileio.cls_label_format`); this loader is only for files
in IRN's format.
"""
import io
import pickle
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple

import numpy as np
from numpy.lib import format as npy_format

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric

__all__ = [
    'NPY_MAGIC', 'NPZ_MAGIC', 'RefusedGlobalError', 'RestrictedUnpickler',
    'load_npy_restricted'
]

# The first bytes of an ``.npy`` file and of an ``.npz`` (zip) archive.
NPY_MAGIC = b'\x93NUMPY'
NPZ_MAGIC = b'PK\x03\x04'

ALLOWED_SUMMARY = ('numpy arrays, scalars and dtypes, dict, str, int, '
                   'float and CPU torch tensors')


class RefusedGlobalError(pickle.UnpicklingError):
    """A pickle in an IRN-format file names a global that is not admitted.

    Args:
        path (str): The file.
        global_name (str): ``module.name`` of the refused global, e.g.
            ``'posix.system'``.
    """

    def __init__(self, path: str, global_name: str) -> None:
        self.path = path
        self.global_name = global_name
        super().__init__(
            f"{path}: refused to unpickle the global '{global_name}'; an "
            f'IRN-format .npy file may hold only {ALLOWED_SUMMARY}, so this '
            'file is not one (nothing in it was run)')


def _storage_from_bytes(data: bytes) -> Any:
    """Stand-in for ``torch.storage._load_from_bytes``: torch's safe loader.

    Args:
        data (bytes): A storage serialised by ``torch.save``.

    Returns:
        torch.TypedStorage: The storage, on the CPU.
    """
    import torch
    if not isinstance(data, bytes):
        raise pickle.UnpicklingError(
            f'a torch storage must be bytes, got {type(data).__name__}')
    return torch.load(
        io.BytesIO(data), map_location='cpu', weights_only=True)


def _tensor_as_array(storage: Any,
                     offset: int,
                     size: Tuple[int, ...],
                     stride: Tuple[int, ...],
                     *unused: Any) -> np.ndarray:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: a numpy copy.

    Args:
        storage (torch.TypedStorage): The tensor's storage.
        offset (int): Storage offset.
        size (tuple[int]): Tensor shape.
        stride (tuple[int]): Tensor strides.
        *unused: ``requires_grad``, ``backward_hooks`` (and metadata),
            which a numpy array does not keep.

    Returns:
        np.ndarray: The tensor's values.
    """
    import torch
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError(
            f'a tensor needs a torch storage, got {type(storage).__name__}')
    tensor = torch.empty((0, ), dtype=storage.dtype).set_(
        storage, offset, tuple(size), tuple(stride))
    return tensor.numpy().copy()


def _numpy_globals() -> Dict[Tuple[str, str], Callable]:
    """The admitted numpy globals under their numpy 1.x and 2.x names."""
    admitted = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    for prefix in ('numpy.core', 'numpy._core'):
        admitted[(f'{prefix}.multiarray', '_reconstruct')] = \
            _multiarray._reconstruct
        admitted[(f'{prefix}.multiarray', 'scalar')] = _multiarray.scalar
        if hasattr(_numeric, '_frombuffer'):
            admitted[(f'{prefix}.numeric', '_frombuffer')] = \
                _numeric._frombuffer
    return admitted


_ADMITTED: Dict[Tuple[str, str], Callable] = {
    **_numpy_globals(),
    **{(module, cls.__name__): cls
       for module in ('builtins', '__builtin__')  # Python 3 and 2 names
       for cls in (dict, str, int, float)},
    ('collections', 'OrderedDict'): OrderedDict,
    ('torch._utils', '_rebuild_tensor_v2'): _tensor_as_array,
    ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of IRN-format files.

    See the module docstring for the admitted globals. Persistent ids are
    refused as well.

    Args:
        file (IO[bytes]): The pickle stream.
        path (str): The file's name, for error messages.
    """

    def __init__(self, file: Any, path: str) -> None:
        super().__init__(file, encoding='latin1')
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        """Return an admitted global, else raise :class:`RefusedGlobalError`.

        Args:
            module (str): Module name from the pickle.
            name (str): Global name from the pickle.

        Returns:
            object: The admitted callable or class.
        """
        admitted = _ADMITTED.get((module, name))
        if admitted is not None:
            return admitted
        if module == 'numpy.dtypes' and name.endswith('DType'):
            dtype_cls = getattr(getattr(np, 'dtypes', None), name, None)
            if isinstance(dtype_cls, type) and issubclass(dtype_cls, np.dtype):
                return dtype_cls
        raise RefusedGlobalError(self.path, f'{module}.{name}')

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids: IRN-format files hold none."""
        raise pickle.UnpicklingError(
            'refused a persistent id; an IRN-format .npy file may hold '
            f'only {ALLOWED_SUMMARY}')


def load_npy_restricted(raw: bytes, path: str) -> np.ndarray:
    """Read an ``.npy`` file; an object array only through the allow-list.

    A numeric array is read with ``np.load(..., allow_pickle=False)``. An
    object array (IRN's pickled dicts) is unpickled by
    :class:`RestrictedUnpickler`; the header is parsed with
    :mod:`numpy.lib.format` first, so nothing else reads the pickle.

    Args:
        raw (bytes): The file's content.
        path (str): The file's name, for error messages.

    Returns:
        np.ndarray: The array; a pickled dict comes back as a 0-d object
        array (``.item()`` gives the dict).

    Raises:
        RefusedGlobalError: If the pickle names a global not admitted.
        ValueError: If the file is not a readable ``.npy`` file, or its
            pickle is truncated or malformed.
    """
    stream = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            _, _, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            _, _, dtype = npy_format.read_array_header_2_0(stream)
        else:  # 3.0 and later: never used for object arrays by np.save
            dtype = None
    except ValueError as e:
        raise ValueError(f'{path}: not a readable .npy file ({e})') from e
    if dtype is None or not dtype.hasobject:
        try:
            return np.load(io.BytesIO(raw), allow_pickle=False)
        except ValueError as e:
            raise ValueError(f'{path}: cannot read .npy file ({e})') from e
    try:
        array = RestrictedUnpickler(stream, path).load()
    except RefusedGlobalError:
        raise
    except Exception as e:  # truncated or malformed payload
        raise ValueError(
            f'{path}: cannot unpickle the object array ({e})') from e
    if not isinstance(array, np.ndarray):
        raise ValueError(f'{path}: the pickle holds a '
                         f'{type(array).__name__}, not a numpy array')
    return array
