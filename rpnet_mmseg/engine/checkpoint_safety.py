"""Safe checkpoint loading: one function, weights only, an allow-list.

Every checkpoint rpnet_mmseg loads goes through :func:`load_checkpoint_file`:
``torch.load(..., weights_only=True)``, whose restricted unpickler admits
tensors, containers and plain values plus the allow-list below, and
refuses anything else (a checkpoint whose pickle would call a function).
The allow-list is in force only inside that call
(``torch.serialization.safe_globals``), never for other ``torch.load``
calls of the process. Before the load, a zip checkpoint's entries must be
stored (``torch.save`` never deflates) and lie inside the file, so a small
file cannot inflate into gigabytes; after it, every tensor must lie inside
its storage without repeating elements (no zero strides). Its errors name
the file: torch's own ("failed finding central directory", "Unsupported
global") do not. :func:`register_checkpoint_loaders` makes it mmengine's
loader of local files and of ``http(s)://`` and ``torchvision://``
checkpoints, so ``load_from``, ``--resume`` and
``init_cfg=dict(type='Pretrained')`` go through it too (mmengine 0.10.7
calls ``torch.load`` without ``weights_only``, and ``torch.hub`` passes
``weights_only=False``), and refuses every other scheme mmengine registers
(its patterns, e.g. ``(\\S+\\:)?petrel://``). ``import rpnet_mmseg`` does
the registration.

The allow-list. mmengine 0.10.7 stores its message hub in every Runner
checkpoint: ``HistoryBuffer`` objects holding numpy arrays, numpy scalars,
and (through ``HistoryBuffer.__getstate__``) references to the buffer's
statistics methods, which protocol-2 pickles spell as
``builtins.getattr(HistoryBuffer, 'min')``. This module allows exactly
those objects for the restricted unpickler:

- ``HistoryBuffer``;
- under numpy's names (``numpy.ndarray``, ``numpy.dtype``, the array and
  scalar reconstructors), the checked stand-ins of
  :func:`rpnet_mmseg.fileio.legacy_npy.numpy_pickle_globals`, never numpy's
  own callables: plain dtypes, sizes equal to the bytes present;
- under the name ``builtins.getattr``, :func:`history_buffer_getattr`, which
  resolves only ``HistoryBuffer.<registered statistics method>`` and refuses
  every other attribute lookup.

Files holding any other object are still refused, as torch intends; the real
``getattr`` is never exposed to the unpickler.
"""
import os
import os.path as osp
import pickle
import zipfile
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import urlparse

import torch

from ..fileio.legacy_npy import DTypeSpec, SafeArray, numpy_pickle_globals

__all__ = [
    'CheckpointLoadError', 'UnsafeCheckpointError', 'load_checkpoint_file',
    'load_checkpoint_url', 'register_checkpoint_loaders',
    'mmengine_checkpoint_types', 'history_buffer_getattr'
]

MapLocation = Union[None, str, torch.device, Callable, Dict[str, str]]


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
        ``torch.serialization.safe_globals``.
    """
    from mmengine.logging import HistoryBuffer
    return [
        HistoryBuffer, (history_buffer_getattr, 'builtins.getattr'),
        (SafeArray, f'{SafeArray.__module__}.SafeArray'),
        (DTypeSpec, f'{DTypeSpec.__module__}.DTypeSpec')
    ] + [(obj, name) for name, obj in numpy_pickle_globals().items()]


class CheckpointLoadError(RuntimeError):
    """A checkpoint file that cannot be read (truncated, not torch's)."""


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint whose pickle holds objects outside the allow-list."""


def _refused_globals(filename: str) -> List[str]:
    """The globals of a zip checkpoint's pickle outside the allow-list
    (torch's static scan of the pickle; nothing is unpickled). Empty for
    the legacy format, which torch cannot scan."""
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_types()):
            return sorted(
                torch.serialization.get_unsafe_globals_in_checkpoint(
                    filename))
    except Exception:  # a damaged or legacy file: nothing to name
        return []


def load_checkpoint_file(filename: Union[str, os.PathLike],
                         map_location: MapLocation = 'cpu') -> Any:
    """Load a checkpoint file with ``weights_only=True``; THE way to load one.

    The restricted unpickler admits tensors, containers, plain values and
    :func:`mmengine_checkpoint_types` (allowed for this call only), nothing
    else: a file whose pickle would create another object is refused before
    any of its code runs. Compressed zip entries and tensors that repeat
    their storage's elements are refused too (see the module docstring).

    Args:
        filename (str | PathLike): Local checkpoint file (``~`` expanded).
        map_location (str | torch.device | Callable | dict, optional): As
            for :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        Any: The loaded object (for mmengine checkpoints a dict with
        ``state_dict``, ``meta``, ``message_hub`` ...).

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        UnsafeCheckpointError: If the pickle holds a refused global (names
            the file and the global), the zip is compressed or a tensor
            repeats its storage.
        CheckpointLoadError: If the file cannot be read (truncated, not a
            ``torch.save`` file); names the file.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    with open(filename, 'rb') as f:
        head = f.read(4)
    if not head.startswith((b'PK', b'\x80')):
        raise CheckpointLoadError(
            f'{filename}: not a checkpoint: it starts with {head!r}, neither '
            "torch.save's zip format (b'PK') nor its legacy pickle format "
            "(b'\\x80'); is it truncated or another kind of file?")
    if head.startswith(b'PK'):
        _check_zip_entries(filename)
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_types()):
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError,
            ValueError, TypeError, KeyError, IndexError,
            AttributeError) as e:
        # A zip whose entries passed _check_zip_entries is whole: a pickle
        # error there is a refusal, not damage.
        if head.startswith(b'PK') and isinstance(e, pickle.UnpicklingError):
            refused = _refused_globals(filename)
            what = (f'it holds {", ".join(refused)}' if refused else
                    'it asks the unpickler for more than the allow-list')
            raise UnsafeCheckpointError(
                f'{filename}: refused by weights-only loading: {what}. The '
                'checkpoints of rpnet_mmseg and mmengine hold tensors, plain '
                'values and the message-hub types of '
                'rpnet_mmseg/engine/checkpoint_safety.py only; objects of '
                'other types can run code when unpickled, so this file is '
                'not loaded.') from e
        raise CheckpointLoadError(
            f'{filename}: cannot read the checkpoint weights-only '
            f'({type(e).__name__}); is it truncated (an interrupted copy or '
            'save), not a file torch.save wrote, or a legacy-format file '
            'holding objects other than tensors and plain values? Delete '
            'a damaged checkpoint of a work dir to resume from the one '
            'before it.') from e
    for where, tensor in _tensors(checkpoint, ''):
        _check_tensor_view(tensor, f'{filename}: {where or "the checkpoint"}')
    return checkpoint


def _check_zip_entries(filename: str) -> None:
    """Refuse a zip checkpoint whose entries are compressed or reach past
    the end of the file (torch would inflate them to their declared size).
    """
    size = osp.getsize(filename)
    try:
        with zipfile.ZipFile(filename) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise CheckpointLoadError(
            f'{filename}: cannot read the checkpoint ({e}); is it truncated '
            'or not a file torch.save wrote?') from e
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED \
                or info.file_size != info.compress_size \
                or info.header_offset + info.file_size > size:
            raise UnsafeCheckpointError(
                f"{filename}: entry '{info.filename}' is compressed or "
                f'declares {info.file_size} bytes beyond the file; torch.save '
                'stores its entries uncompressed, so this file is not loaded')


def _tensors(obj: Any, where: str) -> Iterator[Tuple[str, torch.Tensor]]:
    """Every tensor in a loaded checkpoint, with its key path (each object
    visited once: a pickle may nest deeply or refer to itself)."""
    stack, seen = [(where, obj)], set()
    while stack:
        where, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, torch.Tensor):
            yield where, obj
        elif isinstance(obj, dict):
            stack += [(f'{where}.{k}' if where else str(k), v)
                      for k, v in obj.items()]
        elif isinstance(obj, (list, tuple)):
            stack += [(f'{where}[{i}]', v) for i, v in enumerate(obj)]
        elif hasattr(obj, '__dict__') and not isinstance(obj, type):
            stack.append((where, vars(obj)))


def _check_tensor_view(tensor: torch.Tensor, where: str) -> None:
    """Refuse a tensor that holds more elements than its storage (zero or
    overlapping strides: a few bytes that expand to gigabytes)."""
    if tensor.layout != torch.strided or tensor.device.type == 'meta':
        return
    if tensor.numel() * tensor.element_size() > \
            tensor.untyped_storage().nbytes():
        raise UnsafeCheckpointError(
            f'{where}: a tensor of size {tuple(tensor.shape)} and stride '
            f'{tensor.stride()} repeats the elements of its storage of '
            f'{tensor.untyped_storage().nbytes()} bytes; checkpoints hold '
            'plain tensors, so this file is not loaded')


def load_checkpoint_url(url: str,
                        map_location: MapLocation = None,
                        model_dir: Optional[str] = None) -> Any:
    """Download a checkpoint into torch's hub cache, then load it safely.

    As mmengine's ``load_from_http`` (the same cache,
    ``<torch hub dir>/checkpoints``, where rank 0 downloads first), but
    loaded by :func:`load_checkpoint_file` instead of ``torch.hub``'s
    ``weights_only=False``.

    Args:
        url (str): ``http://`` or ``https://`` URL.
        map_location (str | torch.device | Callable | dict, optional): As
            for :func:`torch.load`. Defaults to None.
        model_dir (str, optional): Cache folder. Defaults to None (torch's).

    Returns:
        Any: The loaded object.
    """
    from mmengine.dist import barrier, get_dist_info
    if model_dir is None:
        model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.exists(cached):
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(url, cached)
    if world_size > 1:
        barrier()
    if not osp.exists(cached):  # a rank on another machine
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(url, cached)
    return load_checkpoint_file(cached, map_location)


def load_from_local_weights_only(filename: str,
                                 map_location: MapLocation = None) -> Any:
    """mmengine's loader of local files: :func:`load_checkpoint_file`."""
    return load_checkpoint_file(filename, map_location)


def load_from_http_weights_only(filename: str,
                                map_location: MapLocation = None,
                                model_dir: Optional[str] = None) -> Any:
    """mmengine's loader of ``http(s)://``: :func:`load_checkpoint_url`."""
    return load_checkpoint_url(filename, map_location, model_dir)


def load_from_torchvision_weights_only(filename: str,
                                       map_location: MapLocation = None
                                       ) -> Any:
    """mmengine's loader of ``torchvision://NAME`` (and ``modelzoo://``).

    The name is looked up in mmengine's table of torchvision's weights;
    the file is loaded by :func:`load_checkpoint_url`.
    """
    from mmengine.runner.checkpoint import get_torchvision_models
    name = filename.split('://', 1)[1]
    urls = get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{filename}: torchvision has no weights named '
                       f'{name!r}')
    return load_checkpoint_url(urls[name], map_location)


def load_from_openmmlab_weights_only(filename: str,
                                     map_location: MapLocation = None
                                     ) -> Any:
    """mmengine's loader of ``open-mmlab://NAME`` and ``mmcls://NAME``.

    The name is resolved through mmengine's own tables (deprecated names
    included) as mmengine does; the file is loaded by
    :func:`load_checkpoint_url`, or :func:`load_checkpoint_file` for a
    table entry that is a path under mmengine's home.
    """
    from mmengine.runner import checkpoint as mm_ckpt
    prefix, name = filename.split('://', 1)
    if prefix == 'mmcls':
        urls = mm_ckpt.get_mmcls_models()
    else:
        urls = mm_ckpt.get_external_models()
        name = mm_ckpt.get_deprecated_model_names().get(name, name)
    if name not in urls:
        raise KeyError(f'{filename}: mmengine knows no weights named '
                       f'{name!r}')
    url = urls[name]
    if url.startswith(('http://', 'https://')):
        ckpt = load_checkpoint_url(url, map_location)
    else:
        ckpt = load_checkpoint_file(
            osp.join(mm_ckpt._get_mmengine_home(), url), map_location)
    return mm_ckpt._process_mmcls_checkpoint(ckpt) if prefix == 'mmcls' \
        else ckpt


def refuse_unsafe_scheme(filename: str, map_location: MapLocation = None
                         ) -> Any:
    """The loader of schemes mmengine reads only with ``weights_only=False``.

    Raises:
        UnsafeCheckpointError: Always, naming the file and what to do.
    """
    raise UnsafeCheckpointError(
        f'{filename}: mmengine 0.10.7 loads this scheme without '
        'weights_only, so rpnet_mmseg does not; copy the file to local disk '
        'or an http(s) URL and load it from there')


def register_checkpoint_loaders() -> None:
    """Make mmengine load local, URL and torchvision checkpoints safely.

    Replaces the loaders of mmengine's ``CheckpointLoader`` for local files
    (prefix ``''``), ``http://`` / ``https://``, ``torchvision://`` /
    ``modelzoo://`` and ``open-mmlab://`` / ``mmcls://``; these are what
    ``Runner.load_checkpoint`` (``load_from``), ``Runner.resume`` and
    ``PretrainedInit`` (``init_cfg``) use. Every other pattern registered
    with mmengine (``pavi://``, ``(\\S+\\:)?s3://``,
    ``(\\S+\\:)?petrel://``, any later one), which mmengine reads without
    weights_only, gets :func:`refuse_unsafe_scheme` under the same pattern.
    Idempotent.
    """
    from mmengine.runner import CheckpointLoader
    safe = {}
    for prefixes, loader in (
        ('', load_from_local_weights_only),
        (('http://', 'https://'), load_from_http_weights_only),
        (('torchvision://', 'modelzoo://'),
         load_from_torchvision_weights_only),
        (('open-mmlab://', 'openmmlab://', 'mmcls://'),
         load_from_openmmlab_weights_only),
    ):
        CheckpointLoader.register_scheme(prefixes, loader, force=True)
        safe.update(dict.fromkeys(
            (prefixes, ) if isinstance(prefixes, str) else prefixes))
    others = [p for p in CheckpointLoader._schemes if p not in safe]
    for prefix in others + ['pavi://', 's3://']:
        CheckpointLoader.register_scheme(
            prefix, refuse_unsafe_scheme, force=True)
