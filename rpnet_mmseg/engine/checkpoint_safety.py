"""Let torch >= 2.6 load mmengine 0.10.7 checkpoints with weights_only.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True`` and refuses
any class it does not know. mmengine 0.10.7 stores its message hub (with
``HistoryBuffer`` objects holding numpy arrays) and numpy scalars in every
Runner checkpoint, so ``--resume`` and ``load_from`` fail. This module allows
exactly those types, and nothing else, for the restricted unpickler. Files
holding any other object are still refused, as torch intends.
"""
from typing import List

import numpy as np
import torch

# The numpy dtypes that mmengine's logs and metas hold.
_NUMPY_DTYPES = ('float16', 'float32', 'float64', 'int8', 'int16', 'int32',
                 'int64', 'uint8', 'bool')


def mmengine_checkpoint_types() -> List[object]:
    """The objects a mmengine 0.10.7 Runner checkpoint pickles.

    Returns:
        list: ``HistoryBuffer``, numpy's array and scalar reconstructors,
        ``ndarray``, ``dtype`` and the dtype classes of ``_NUMPY_DTYPES``.
    """
    from mmengine.logging import HistoryBuffer

    # The reconstructors are found through the objects that use them, which
    # keeps this independent of numpy 1.x (numpy.core) and 2.x (numpy._core).
    array_reconstruct = np.zeros(1).__reduce__()[0]
    scalar_reconstruct = np.float64(0).__reduce__()[0]
    dtype_classes = [type(np.dtype(name)) for name in _NUMPY_DTYPES]
    return [
        HistoryBuffer, array_reconstruct, scalar_reconstruct, np.ndarray,
        np.dtype
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
