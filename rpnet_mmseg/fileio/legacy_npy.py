"""Pickled arrays read as data: IRN's ``.npy`` files and checkpoint metas.

IRN's ``make_cam.py`` and ``make_cls_labels.py`` (and the releases built on
them, RPNet's included) save Python dicts with ``np.save``: the ``.npy``
file holds a 0-d object array whose payload is a pickle. mmengine's
checkpoints pickle numpy arrays and scalars in their message hub. A pickle
calls whatever its globals name with arguments the file chooses, so no
numpy callable is ever handed to an unpickler here; the names that numpy's
own pickles use resolve to stand-ins (:func:`numpy_pickle_globals`) that
check their arguments and build the array themselves:

- ``numpy.dtype(spec, align, copy)`` + its state: :class:`DTypeSpec`, a
  plain spec (``'f4'``, ``'i8'``, ``'b1'`` ...; ``'O8'`` only as below) and
  a byte order; no structured, sub-array or flag-bearing dtype;
- ``numpy.core.multiarray._reconstruct`` (``numpy._core`` in numpy 2) +
  the array's state: a :class:`SafeArray` whose ``__setstate__`` admits a
  plain dtype whose shape x item size equals the bytes present and is at
  most the cap of :mod:`.array_reader`, or the one object array pickles of
  dicts use: 0-d, holding one element;
- ``scalar`` and ``_frombuffer``: the same checks;
- ``numpy.ndarray`` itself resolves to a marker that ``_reconstruct``
  accepts and that refuses to be called (``ndarray(shape, 'O',
  buffer=...)`` would otherwise build an object array around pointers the
  file chose).

:class:`RestrictedUnpickler` (IRN's files) admits these, ``dict``, ``str``,
``int``, ``float``, ``collections.OrderedDict`` and IRN's CPU tensors, which
come back as numpy arrays: ``torch.storage._load_from_bytes`` rebuilds the
storage with torch's weights-only loader and ``torch._utils.
_rebuild_tensor_v2`` checks offset, shape and strides against that storage
(no zero or overlapping strides that would expand a few bytes into
gigabytes). Anything else is refused with :class:`RefusedGlobalError`,
which names the file and the global, before anything is called. The
project writes its own files without pickle (:mod:`.array_reader` reads
them); this loader is only for files in IRN's format.
"""
import io
import pickle
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple

import numpy as np

from .array_reader import (ArrayFileError, check_array_size,
                           check_plain_dtype, read_npy_bytes,
                           read_npy_header)

__all__ = [
    'NPY_MAGIC', 'NPZ_MAGIC', 'RefusedGlobalError', 'RestrictedUnpickler',
    'DTypeSpec', 'SafeArray', 'numpy_pickle_globals', 'load_npy_restricted'
]

# The first bytes of an ``.npy`` file and of an ``.npz`` (zip) archive.
NPY_MAGIC = b'\x93NUMPY'
NPZ_MAGIC = b'PK\x03\x04'

ALLOWED_SUMMARY = ('numpy arrays of numbers, dict, str, int, float and CPU '
                   'torch tensors')
# The spec strings of numpy's dtype pickles: kind letter + item size.
_SPEC = re.compile(r'^[biufO][0-9]{1,2}$')


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


class DTypeSpec:
    """Stand-in for ``numpy.dtype`` in a pickle: a plain spec, checked.

    Args:
        spec (str): numpy's pickled spec, e.g. ``'f4'``.
        align (bool): Must be False.
        copy (bool): Ignored (numpy pickles True).
    """

    def __init__(self, spec: Any, align: Any = False, copy: Any = True
                 ) -> None:
        if not isinstance(spec, str) or not _SPEC.match(spec) or align:
            raise pickle.UnpicklingError(
                f'refused the dtype {spec!r}: only plain number dtypes')
        self.spec = spec
        self.order = '='

    def __setstate__(self, state: Any) -> None:
        """Keep the byte order; refuse sub-arrays, fields and names."""
        if not isinstance(state, tuple) or len(state) < 5 \
                or state[1] not in ('<', '>', '|', '=') \
                or any(s is not None for s in state[2:5]):
            raise pickle.UnpicklingError(
                f'refused the dtype state {state!r}: only plain dtypes')
        self.order = state[1]

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype."""
        return np.dtype(self.order + self.spec)


def _as_dtype(spec: Any, what: str) -> np.dtype:
    """The dtype of a :class:`DTypeSpec`, which must be a plain one."""
    if not isinstance(spec, DTypeSpec):
        raise pickle.UnpicklingError(f'{what}: the dtype must be a pickled '
                                     f'numpy dtype, got {type(spec)}')
    try:
        return check_plain_dtype(spec.dtype, what, kinds='biuf')
    except ArrayFileError as e:
        raise pickle.UnpicklingError(str(e)) from None


def _from_bytes(data: Any, dtype: np.dtype, shape: Any, fortran: bool,
                what: str) -> np.ndarray:
    """An array of ``dtype`` and ``shape`` from exactly its bytes."""
    if isinstance(data, pickle.PickleBuffer):
        data = bytes(data.raw())
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError(f'{what}: array data must be bytes, got '
                                     f'{type(data).__name__}')
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape, )
    try:
        check_array_size(shape, dtype.itemsize, len(data), what)
    except ArrayFileError as e:
        raise pickle.UnpicklingError(str(e)) from None
    flat = np.frombuffer(data, dtype=dtype, count=len(data) // dtype.itemsize)
    return flat.reshape(shape, order='F' if fortran else 'C').copy(order='K')


class _NDArrayName:
    """What ``numpy.ndarray`` resolves to: accepted by ``_reconstruct``,
    never called."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise pickle.UnpicklingError(
            'refused a direct call of numpy.ndarray(...): numpy pickles '
            'arrays through _reconstruct only')


NDARRAY = _NDArrayName()


class SafeArray(np.ndarray):
    """The array a pickle builds: ``__setstate__`` checks, then fills.

    Behaves as ``np.ndarray`` (``np.asarray`` gives the base class). Never
    constructed from a pickle's arguments: only :func:`reconstruct` makes
    one, empty, for the state that follows.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> 'SafeArray':
        raise pickle.UnpicklingError('refused a direct construction of an '
                                     'array from a pickle')

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickle as a plain ``np.ndarray`` (a loaded checkpoint's arrays
        are saved again in the next one)."""
        return np.asarray(self).__reduce_ex__(protocol)

    def __setstate__(self, state: Any) -> None:
        """Admit plain data of the declared size, or a 0-d object box."""
        if not isinstance(state, tuple) or len(state) != 5:
            raise pickle.UnpicklingError(f'refused the array state {state!r}')
        version, shape, spec, fortran, data = state
        if not isinstance(spec, DTypeSpec):
            raise pickle.UnpicklingError('an array state must hold a pickled '
                                         'numpy dtype')
        if spec.spec.startswith('O'):
            # A pickled dict or list: np.save(dict) is a 0-d object array.
            if tuple(shape) != () or not isinstance(data, list) \
                    or len(data) != 1:
                raise pickle.UnpicklingError(
                    'refused an object array: only a 0-d box around one '
                    'pickled value is admitted')
            np.ndarray.__setstate__(self,
                                    (version, (), spec.dtype, False, data))
            return
        array = _from_bytes(data, _as_dtype(spec, 'array'), shape,
                            bool(fortran), 'array')
        np.ndarray.__setstate__(
            self, (1, array.shape, array.dtype, False, array.tobytes()))


def reconstruct(cls: Any, shape: Any, typecode: Any) -> SafeArray:
    """Stand-in for numpy's ``_reconstruct``: an empty :class:`SafeArray`."""
    if cls is not NDARRAY or tuple(shape) != (0, ) \
            or typecode not in (b'b', 'b'):
        raise pickle.UnpicklingError(
            f'refused _reconstruct({cls!r}, {shape!r}, {typecode!r})')
    return np.ndarray.__new__(SafeArray, (0, ), np.uint8)


def scalar(spec: Any, data: Any) -> np.generic:
    """Stand-in for numpy's ``scalar``: exactly one item's bytes."""
    return _from_bytes(data, _as_dtype(spec, 'scalar'), (), False,
                       'scalar')[()]


def frombuffer(data: Any, spec: Any, shape: Any, order: Any) -> np.ndarray:
    """Stand-in for numpy's ``_frombuffer`` (pickle protocol 5)."""
    return _from_bytes(data, _as_dtype(spec, 'array'), shape, order == 'F',
                       'array')


def numpy_pickle_globals() -> Dict[str, Callable]:
    """The names numpy's pickles use, mapped to the checked stand-ins.

    Returns:
        dict[str, Callable]: ``'module.name'`` -> stand-in, numpy 1.x
        (``numpy.core``) and 2.x (``numpy._core``) names both.
    """
    names = {'numpy.ndarray': NDARRAY, 'numpy.dtype': DTypeSpec}
    for core in ('numpy.core', 'numpy._core'):
        names[f'{core}.multiarray._reconstruct'] = reconstruct
        names[f'{core}.multiarray.scalar'] = scalar
        names[f'{core}.numeric._frombuffer'] = frombuffer
    return names


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
    storage = torch.load(
        io.BytesIO(data), map_location='cpu', weights_only=True)
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError(
            f'a torch storage was expected, got {type(storage).__name__}')
    return storage


def _tensor_as_array(storage: Any, offset: Any, size: Any, stride: Any,
                     *unused: Any) -> np.ndarray:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: a checked copy.

    The view must lie inside its storage and hold no more elements than the
    storage (no zero or overlapping strides).

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
    ints = (offset, ) + tuple(size) + tuple(stride)
    if not all(type(n) is int and n >= 0 for n in ints) \
            or len(size) != len(stride):
        raise pickle.UnpicklingError(
            f'refused a tensor view: offset {offset!r}, size {size!r}, '
            f'stride {stride!r}')
    numel = 1
    for n in size:
        numel *= n
    if isinstance(storage, torch.TypedStorage):
        dtype, storage = storage.dtype, storage._untyped_storage
    else:
        dtype = torch.uint8
    length = storage.nbytes() // torch.empty(0, dtype=dtype).element_size()
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) \
        if numel else offset - 1
    if numel > length or last >= length:
        raise pickle.UnpicklingError(
            f'refused a tensor of size {tuple(size)} and stride '
            f'{tuple(stride)} on a storage of {length} elements: it reaches '
            'outside the storage or repeats its elements')
    tensor = torch.empty((0, ), dtype=dtype).set_(
        storage, offset, tuple(size), tuple(stride))
    return tensor.numpy().copy()


_ADMITTED: Dict[Tuple[str, str], Callable] = {
    **{tuple(name.rsplit('.', 1)): obj
       for name, obj in numpy_pickle_globals().items()},
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
            object: The admitted stand-in, class or callable.
        """
        admitted = _ADMITTED.get((module, name))
        if admitted is None:
            raise RefusedGlobalError(self.path, f'{module}.{name}')
        return admitted

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids: IRN-format files hold none."""
        raise pickle.UnpicklingError(
            'refused a persistent id; an IRN-format .npy file may hold '
            f'only {ALLOWED_SUMMARY}')


def load_npy_restricted(raw: bytes, path: str) -> Any:
    """Read an ``.npy`` file: plain arrays directly, IRN's pickled dicts
    through the allow-list.

    Args:
        raw (bytes): The file's content.
        path (str): The file's name, for error messages.

    Returns:
        np.ndarray | dict: A plain array, or the value a pickled 0-d object
        array boxes (IRN's dict).

    Raises:
        RefusedGlobalError: If the pickle names a global not admitted.
        ValueError: If the file is not a readable ``.npy`` file, its pickle
            is malformed or refused (object arrays, views outside their
            storage, sizes other than the bytes present or over the cap).
    """
    _, _, dtype = read_npy_header(io.BytesIO(raw), path)
    if not dtype.hasobject:
        return read_npy_bytes(raw, path)
    stream = io.BytesIO(raw)
    read_npy_header(stream, path)
    try:
        array = RestrictedUnpickler(stream, path).load()
    except RefusedGlobalError:
        raise
    except Exception as e:  # refused by a stand-in, truncated, malformed
        raise ValueError(
            f'{path}: cannot unpickle the object array ({e})') from e
    if not isinstance(array, SafeArray) or array.shape != () \
            or not array.dtype.hasobject:
        raise ValueError(f'{path}: the pickle holds a '
                         f'{type(array).__name__}, not a 0-d object array')
    value = array.item()
    if isinstance(value, dict):
        value = {k: np.asarray(v) if isinstance(v, SafeArray) else v
                 for k, v in value.items()}
    return value
