"""Let torch >= 2.6 load mmengine 0.10.7 checkpoints with weights_only.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True`` and refuses
any global it does not know. mmengine 0.10.7 stores its message hub in every
Runner checkpoint: ``HistoryBuffer`` objects holding numpy arrays, numpy
scalars, and (through ``HistoryBuffer.__getstate__``) references to the
buffer's statistics methods, which protocol-2 pickles spell as
``builtins.getattr(HistoryBuffer, 'min')``. So ``--resume`` and ``load_from``
fail. This module allows exactly those objects for the restricted unpickler:

- ``HistoryBuffer``, ``numpy.ndarray``, ``numpy.dtype`` and the dtype classes
  of ``_NUMPY_DTYPES``, numpy's array and scalar reconstructors;
- under the name ``builtins.getattr``, :func:`history_buffer_getattr`, which
  resolves only ``HistoryBuffer.<registered statistics method>`` and refuses
  every other attribute lookup.

Files holding any other object are still refused, as torch intends; the real
``getattr`` is never exposed to the unpickler.
"""
from typing import Any, List

import numpy as np
import torch

# The numpy dtypes that mmengine's logs and metas hold.
_NUMPY_DTYPES = ('float16', 'float32', 'float64', 'int8', 'int16', 'int32',
                 'int64', 'uint8', 'bool')


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    Args:
        obj: Must be the ``HistoryBuffer`` class.
        name (str): A name in ``HistoryBuffer._statistics_methods`` (min,
            max, current, mean and any registered custom statistic).

    Returns:
        The method.

    Raises:
        pickle.UnpicklingError: For any other object or name.
    """
    import pickle

    from mmengine.logging import HistoryBuffer
    allowed = set(HistoryBuffer._statistics_methods) | {
        'min', 'max', 'current', 'mean'
    }
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only '
            f'HistoryBuffer statistics methods {sorted(allowed)} are allowed')
    return getattr(HistoryBuffer, name)


def mmengine_checkpoint_types() -> List[Any]:
    """The globals a mmengine 0.10.7 Runner checkpoint pickles.

    Returns:
        list: Objects and ``(object, 'module.name')`` pairs for
        ``torch.serialization.add_safe_globals``.
    """
    from mmengine.logging import HistoryBuffer

    # The reconstructors are found through the objects that use them, which
    # keeps this independent of numpy 1.x (numpy.core) and 2.x (numpy._core).
    array_reconstruct = np.zeros(1).__reduce__()[0]
    scalar_reconstruct = np.float64(0).__reduce__()[0]
    dtype_classes = [type(np.dtype(name)) for name in _NUMPY_DTYPES]
    return [
        HistoryBuffer, array_reconstruct, scalar_reconstruct, np.ndarray,
        np.dtype, (history_buffer_getattr, 'builtins.getattr')
    ] + dtype_classes


def allow_mmengine_checkpoint_types() -> bool:
    """Register :func:`mmengine_checkpoint_types` as weights-only safe.

    Returns:
        bool: False on torch versions without ``add_safe_globals`` (< 2.4,
        which do not need it).
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return False
    add(mmengine_checkpoint_types())
    return True
