"""Records of what made an output, and the stage folders that keep them.

One record answers, for every output, "is this still what this config and
these inputs make?" (:func:`make_record`): the config (flattened, so a
change is named by its key), the data the run read (files and folders by
their content), the earlier outputs (``inputs``), the weights.
A training work dir keeps it in ``.rpnet_train.json``
(:mod:`rpnet_mmseg.engine.train_resume`); a pipeline stage's record adds
its command and code (:class:`rpnet_mmseg.pipeline.PipelineRunner`); a
stage folder (CAMs, relation labels, pseudo-labels, predictions) keeps its
writer's in ``.rpnet_stage.json``::

    {"stage": "CAMWriter", "config": {"model.type": "RPNet", ...},
     "data": {"data/msrc_voc/JPEGImages": "content:..."}, "inputs": {},
     "weights_sha1": "...", "writer": {...},
     "config_file": "configs/rpnet/....py", "checkpoint": "...",
     "created": "2026-11-25T10:00:00", "rpnet_mmseg_version": "0.1.0"}

The last four keys inform; two records are the same when
:func:`record_changes`, the one comparison, finds nothing else differing.

A writer also lists the files it writes, BEFORE writing each one, in a
manifest of its own, ``.rpnet_written.<writer>.txt`` (one file name a line,
appended; ``<writer>`` is ``rank<R>`` by default, so the ranks of a
distributed run never share a manifest): :func:`note_written`. A file of
the folder that no manifest lists is *foreign* (a user's data, a copy of a
dataset's masks, the outputs of an rpnet_mmseg that kept no list) and is
never deleted nor taken for an output.

:func:`check_or_record` compares a writer's producer with the folder's
record before the writer writes:

- the same producer, no foreign output file: resume (finished files are
  kept);
- no output file (and no record, or the writer names its output suffix so
  that its files can be counted): record the producer, write everything;
- foreign output files (files without a record are all foreign): refused
  with :class:`StaleOutputError` naming the folder and some of the files,
  whatever ``on_stale`` says;
- another producer's output files: ``on_stale='error'`` raises
  :class:`StaleOutputError` naming the folder and both producers;
  ``on_stale='overwrite'`` deletes the files the manifests list (and only
  those) and records the new producer, so that everything is recomputed.

A producer whose config and weights are unknown (:func:`unknown_producer`)
never resumes, because it cannot tell another unknown producer's files
from its own: it may start a folder without output files, and with
``'overwrite'`` it recomputes everything, but with ``'error'`` it refuses a
folder that holds output files.
"""
import hashlib
import json
import os
import os.path as osp
import re
import time
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence,
                    Set, Tuple, Union)

import torch
from mmengine.config import Config

from .atomic import open_nofollow, remove_stale_tmp_files, save_text_atomic
from .split_format import check_image_name

STAGE_FILE = '.rpnet_stage.json'
# ``.rpnet_written.<writer>.txt``: the names one writer wrote (see above).
MANIFEST_PREFIX = '.rpnet_written.'
MANIFEST_SUFFIX = '.txt'
# How many file names an error lists before it is cut short.
_MAX_NAMES = 5
ON_STALE = ('error', 'overwrite')
# Keys of a record that inform but do not identify what made the output.
INFO_KEYS = ('config_file', 'checkpoint', 'created', 'rpnet_mmseg_version')
# Entries that say where and how a process runs, set by the launching tool
# itself: they differ between a run and its resumption by design.
LAUNCH_KEYS = ('work_dir', 'resume', 'load_from', 'launcher', 'filename')
# Arguments of mmengine's BaseDataset that choose WHICH images run, not
# what an image gives. A dataset class adds its own in a
# ``selection_args`` class attribute, next to the arguments it defines; an
# argument nobody declared counts in the identity (a mismatch that says so,
# never a silent reuse).
BASE_SELECTION_ARGS = ('ann_file', 'indices', 'serialize_data', 'lazy_init',
                       'max_refetch', 'test_mode')

PathLike = Union[str, os.PathLike]


class StaleOutputError(RuntimeError):
    """A stage folder holds the outputs of another producer."""


def file_sha1(path: PathLike, chunk_size: int = 1 << 20) -> str:
    """sha1 of a file's bytes.

    Args:
        path (str): Local file.
        chunk_size (int): Bytes read at a time. Defaults to 1 MiB.

    Returns:
        str: Hex digest.
    """
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk_size), b''):
            digest.update(block)
    return digest.hexdigest()


def selection_args(dataset_type: Any) -> Tuple[str, ...]:
    """The arguments of a dataset class that only select images.

    Args:
        dataset_type (str | type): A dataset config's ``type``.

    Returns:
        tuple[str]: The class's ``selection_args`` (with mmengine's
        :data:`BASE_SELECTION_ARGS`), or the latter for a class that
        declares none or is not registered.
    """
    cls = dataset_type
    if not isinstance(cls, type):
        from mmseg.registry import DATASETS
        try:
            cls = DATASETS.get(dataset_type)
        except Exception:  # an unknown scope or name
            cls = None
    own = tuple(getattr(cls, 'selection_args', ()))
    return BASE_SELECTION_ARGS + own


def _strip_selection(value: Any) -> Any:
    """A dataset config without the arguments that select images (the
    class's :func:`selection_args`), recursively through dataset wrappers
    (``dataset`` / ``datasets`` entries)."""
    if isinstance(value, Mapping):
        drop = selection_args(value.get('type'))
        return {
            k: _strip_selection(v) if k in ('dataset', 'datasets') else v
            for k, v in value.items() if k not in drop
        }
    if isinstance(value, (list, tuple)):
        return [_strip_selection(v) for v in value]
    return value


def unrooter(roots: Mapping[str, Optional[str]]) -> Callable[[Any], Any]:
    """A function that writes a run's own folders as placeholders.

    Where a run folder is does not change what it makes: records replace
    its path (``{'<run>': 'work_dirs/demo/rpnet/seed_0'}``) in config text
    and values, so that a moved or copied run keeps its identities. A
    longer name that merely starts with the path is left alone.

    Args:
        roots (dict): Placeholder -> path; empty paths are skipped.

    Returns:
        Callable: Maps a string to its un-rooted form, anything else to
        itself.
    """
    pairs = sorted(((str(p).rstrip('/'), name) for name, p in roots.items()
                    if p), key=lambda r: -len(r[0]))
    patterns = [(re.compile(re.escape(p) + r'(?=[/\'"\s,\])]|$)'), name)
                for p, name in pairs]

    def unrooted(value: Any) -> Any:
        if isinstance(value, str):
            for pattern, name in patterns:
                value = pattern.sub(name, value)
        return value

    return unrooted


def _plain(value: Any) -> Any:
    """A config leaf as JSON can hold it: classes and functions (in
    pure-Python configs) by their import path, not their address."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, type) or (callable(value)
                                   and hasattr(value, '__qualname__')):
        return f'{getattr(value, "__module__", "")}.{value.__qualname__}'
    return repr(value)


def flatten_config(cfg: Any, prefix: str = '') -> Dict[str, Any]:
    """Flatten a config into ``dotted.key -> value`` (lists by index).

    Args:
        cfg (Config | dict | list): The config or a part of it.
        prefix (str): Key prefix. Defaults to ''.

    Returns:
        dict: One entry per leaf.
    """
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    if isinstance(cfg, Mapping):
        items = [(str(k), v) for k, v in cfg.items()]
    elif isinstance(cfg, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(cfg)]
    else:
        return {prefix: _plain(cfg)}
    if not items:
        return {prefix: '{}' if isinstance(cfg, Mapping) else '[]'}
    out: Dict[str, Any] = {}
    for key, value in items:
        out.update(flatten_config(value, f'{prefix}.{key}' if prefix else key))
    return out


def _run_unrooter(cfg: Mapping,
                  roots: Optional[Mapping[str, str]] = None
                  ) -> Callable[[Any], Any]:
    """:func:`unrooter` of a training run's own folders (``work_root``,
    ``work_dir``) and ``roots``."""
    return unrooter(dict(
        {f'<{k}>': cfg.get(k) for k in ('work_root', 'work_dir')},
        **(roots or {})))


def record_config(cfg: Union[Config, Mapping],
                  loop: Optional[str] = None,
                  roots: Optional[Mapping[str, str]] = None
                  ) -> Dict[str, Any]:
    """The config part of a record: what the config says about the output.

    For a training run (``loop=None``), every entry but the launching
    tool's own (:data:`LAUNCH_KEYS`) and ``stage_inputs`` (a record holds
    them as ``inputs``), with the run's own folders un-rooted (a copied or
    moved work dir keeps its record). For a val / test loop, what one
    image's output is made of: ``model`` and the loop's dataset (its data
    pipeline, data root, prefixes, class names, any argument of its own),
    without the arguments that only select images
    (:func:`selection_args`), so a resumed, distributed or partial run of
    the same model makes the same record.

    Args:
        cfg (Config | dict): The resolved config.
        loop (str, optional): ``'val'`` or ``'test'``; None for training.
        roots (dict, optional): Further placeholder -> folder pairs to
            un-root for training (:func:`unrooter`), e.g. a pipeline's run
            folder.

    Returns:
        dict: ``dotted.key -> value`` (:func:`flatten_config`).
    """
    cfg = cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)
    if loop is None:
        unrooted = _run_unrooter(cfg, roots)
        return {
            k: unrooted(v)
            for k, v in flatten_config(cfg).items()
            if k.split('.')[0] not in LAUNCH_KEYS + ('stage_inputs', )
        }
    loader = cfg.get(f'{loop}_dataloader') or {}
    dataset = loader.get('dataset') if isinstance(loader, Mapping) else None
    return flatten_config({
        'model': cfg.get('model'),
        'dataset': _strip_selection(dataset)
    })


def weights_sha1(model: Union[torch.nn.Module, Mapping[str, Any]]) -> str:
    """sha1 of a model's weights (names, shapes, dtypes and values).

    Hashes every tensor of the state dict in name order on the CPU (about
    0.2 s per 100 MB), so a val loop during training sees new weights each
    epoch.

    Args:
        model (nn.Module | dict): A model (wrapped or not) or a state dict.

    Returns:
        str: Hex digest.
    """
    if isinstance(model, torch.nn.Module):
        model = getattr(model, 'module', model)  # DDP / model wrappers
        state = model.state_dict()
    else:
        state = model
    digest = hashlib.sha1()
    for name in sorted(state):
        value = state[name]
        digest.update(name.encode('utf-8'))
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous()
            digest.update(f'{value.dtype}{tuple(value.shape)}'.encode())
            # Raw bytes (any dtype, bfloat16 included; 0-d made 1-d).
            digest.update(value.reshape(-1).view(torch.uint8).numpy())
        else:
            digest.update(repr(value).encode('utf-8'))
    return digest.hexdigest()


def _version() -> str:
    """rpnet_mmseg's version, without importing the whole package twice."""
    try:
        from rpnet_mmseg import __version__
        return __version__
    except ImportError:  # pragma: no cover - partial installs
        return 'unknown'


def make_record(stage: str,
                config: Union[Config, Mapping, PathLike, None] = None,
                loop: Optional[str] = None,
                checkpoint: Optional[PathLike] = None,
                model: Union[torch.nn.Module, Mapping, None] = None,
                extra: Optional[Mapping[str, Any]] = None,
                data: Optional[Mapping[str, str]] = None,
                roots: Optional[Mapping[str, str]] = None) -> Dict:
    """The record of what made an output; the one every reuse compares.

    ``config`` (:func:`record_config`), ``data`` (every data file or folder
    the run reads and the weights files it loads, by
    :func:`rpnet_mmseg.datasets.data_digests`: files by content, folders by
    their listing), ``inputs`` (a pipeline's ``stage_inputs``: the content
    sha1 of each earlier output), the weights, ``extra``. Two records are
    the same when :func:`record_changes` finds nothing.

    Args:
        stage (str): The stage / writer name, e.g. ``'CAMWriter'``.
        config (Config | dict | str, optional): The config (or its file).
        loop (str, optional): ``'val'`` / ``'test'``: a loop's outputs (its
            dataset's data without its split); None: a training run (its
            training set's data, split included). Defaults to None.
        checkpoint (str, optional): The loaded checkpoint; its path is
            recorded, and its file's sha1 as ``checkpoint_sha1`` when no
            ``model`` is given.
        model (nn.Module | dict, optional): The model (or state dict) whose
            outputs are written; recorded as ``weights_sha1``.
        extra (dict, optional): Further JSON-able settings that identify
            the output (e.g. a tool's CRF parameters).
        data (dict, optional): The data, when the caller found it (the
            pipeline runner: every loader's, and what a command names);
            recorded with or without a config.
        roots (dict, optional): See :func:`record_config`.

    Returns:
        dict: The record.
    """
    record: Dict[str, Any] = {'stage': str(stage)}
    if config is not None:
        if isinstance(config, (str, os.PathLike)):
            record['config_file'] = str(config)
            config = Config.fromfile(config)
        elif isinstance(config, Config):
            record['config_file'] = config.filename
        from ..datasets import data_digests
        cfg = config.to_dict() if isinstance(config, Config) else dict(config)
        record['config'] = record_config(cfg, loop, roots)
        if data is None and loop is None:
            unrooted = _run_unrooter(cfg, roots)
            data = {unrooted(p): d for p, d in data_digests(
                cfg, loaders=['train_dataloader']).items()}
        elif data is None:
            key = f'{loop}_dataloader'
            data = data_digests({key: cfg.get(key) or {}}, splits=False)
        record['inputs'] = dict(cfg.get('stage_inputs') or {})
    if data is not None:
        record['data'] = dict(data)
    if checkpoint is not None:
        record['checkpoint'] = str(checkpoint)
        if model is None and osp.isfile(checkpoint):
            record['checkpoint_sha1'] = file_sha1(checkpoint)
    if model is not None:
        record['weights_sha1'] = weights_sha1(model)
    if extra:
        record['extra'] = json.loads(json.dumps(dict(extra), default=_plain))
    record['created'] = time.strftime('%Y-%m-%dT%H:%M:%S')
    record['rpnet_mmseg_version'] = _version()
    return record


def unknown_producer(stage: str) -> Dict:
    """The record of a writer that was never told what made its outputs.

    Args:
        stage (str): The stage / writer name.

    Returns:
        dict: A record with ``"producer": "unknown"``; it never matches.
    """
    return {
        'stage': str(stage),
        'producer': 'unknown',
        'created': time.strftime('%Y-%m-%dT%H:%M:%S'),
        'rpnet_mmseg_version': _version()
    }


def is_unknown(record: Optional[Mapping]) -> bool:
    """Whether a record is that of an unknown producer."""
    return bool(record) and record.get('producer') == 'unknown'


def producer_identity(record: Mapping) -> Dict[str, Any]:
    """The keys of a record that identify what made the output."""
    return {k: v for k, v in record.items() if k not in INFO_KEYS}


def _shown(value: Any) -> str:
    """A value for a message, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def record_changes(old: Mapping, new: Mapping) -> List[str]:
    """What differs between two records, one line per changed entry.

    ``data`` entries by their path, ``inputs`` as ``input NAME``, the
    entries of ``config`` (and of any other dict) as ``config KEY: OLD ->
    NEW``, anything else as ``KEY: OLD -> NEW``; data first, ``code`` last.
    The informative keys (:data:`INFO_KEYS`) do not count.

    Args:
        old (dict): The record present.
        new (dict): The record the run would write.

    Returns:
        list[str]: Empty when the records are the same.
    """
    first, last = ('data', 'inputs', 'config'), ('code', )
    keys = (set(old) | set(new)) - set(INFO_KEYS)
    order = [k for k in first if k in keys] + sorted(
        keys - set(first) - set(last)) + [k for k in last if k in keys]
    lines = []
    for key in order:
        a, b = old.get(key, '<absent>'), new.get(key, '<absent>')
        if a == b:
            continue
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
            lines.append(f'{key}: {_shown(a)} -> {_shown(b)}')
            continue
        for k in sorted(set(a) | set(b)):
            va, vb = a.get(k, '<absent>'), b.get(k, '<absent>')
            if va == vb:
                continue
            lines.append(k if key == 'data' else f'input {k}' if key
                         == 'inputs' else f'{key} {k}: {_shown(va)} -> '
                         f'{_shown(vb)}')
    return lines


def same_producer(a: Optional[Mapping], b: Optional[Mapping]) -> bool:
    """Whether two records name the same, known producer."""
    if not a or not b or is_unknown(a) or is_unknown(b):
        return False
    return not record_changes(a, b)


def describe_producer(record: Optional[Mapping]) -> str:
    """One line naming a producer, for messages."""
    if not record:
        return 'nothing recorded'
    if is_unknown(record):
        return (f'{record.get("stage")} with an unknown config and '
                f'checkpoint (created {record.get("created")})')
    parts = [f'stage {record.get("stage")}']
    for key in ('config_file', 'checkpoint', 'created'):
        if record.get(key):
            parts.append(f'{key.split("_")[0]} {record[key]}')
    return ', '.join(parts)


def stage_file(output_dir: PathLike) -> str:
    """Path of a folder's provenance record."""
    return osp.join(output_dir, STAGE_FILE)


def read_record(output_dir: PathLike) -> Optional[Dict]:
    """Read a folder's provenance record.

    Args:
        output_dir (str): The stage folder.

    Returns:
        dict | None: The record, or None if the folder has none.

    Raises:
        ValueError: If the record is not valid JSON (names the file).
    """
    path = stage_file(output_dir)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except ValueError as e:
        raise ValueError(f'{path}: cannot read the provenance record ({e}); '
                         'delete it only if the folder holds nothing you '
                         'need') from e
    if not isinstance(record, dict) or 'stage' not in record:
        raise ValueError(f'{path}: a provenance record is a JSON object '
                         f'with a "stage", got {record!r}')
    return record


def write_record(output_dir: PathLike, producer: Mapping) -> None:
    """Atomically write a folder's provenance record."""
    os.makedirs(output_dir, exist_ok=True)
    save_text_atomic(
        stage_file(output_dir),
        json.dumps(dict(producer), indent=2, sort_keys=True) + '\n')


def output_files(output_dir: PathLike, suffix: str) -> list:
    """Names of the finished output files ``*SUFFIX`` in a folder.

    Hidden files (the record, the manifests, temporary files) are not
    outputs.
    """
    if not osp.isdir(output_dir):
        return []
    return sorted(
        entry.name for entry in os.scandir(output_dir)
        if entry.name.endswith(suffix) and not entry.name.startswith('.')
        and entry.is_file())


def _is_plain_name(name: str) -> bool:
    """Whether ``name`` is a visible file name without a folder part
    (:func:`rpnet_mmseg.fileio.check_image_name`'s rule)."""
    try:
        check_image_name(name, 'stage file')
    except ValueError:
        return False
    return True


def manifest_file(output_dir: PathLike, writer: Optional[str] = None) -> str:
    """Path of one writer's manifest in a stage folder.

    Args:
        output_dir (str): The stage folder.
        writer (str, optional): Writer id, unique among the processes that
            write the folder at one time. Defaults to None:
            ``rank<R>`` (mmengine's rank; ``rank0`` without a process
            group).

    Returns:
        str: ``output_dir/.rpnet_written.<writer>.txt``.
    """
    if writer is None:
        from mmengine.dist import get_rank
        writer = f'rank{get_rank()}'
    if not _is_plain_name(str(writer)):
        raise ValueError(f'invalid manifest writer id {writer!r}')
    return osp.join(output_dir, f'{MANIFEST_PREFIX}{writer}{MANIFEST_SUFFIX}')


def note_written(output_dir: PathLike,
                 file_names: Sequence[str],
                 writer: Optional[str] = None) -> None:
    """List files in this writer's manifest; call it BEFORE writing them.

    Appends one line per name to :func:`manifest_file` in one write (no
    fsync: a killed process loses nothing written before, and a name lost
    with the machine's power only makes its file foreign, i.e. kept).
    Listing first means that every file the writer writes is listed; a name
    whose write then fails is harmless (there is no file to delete).

    Args:
        output_dir (str): The stage folder (must exist:
            :func:`check_or_record` creates it).
        file_names (Sequence[str]): Names of files in ``output_dir``, e.g.
            ``['2007_000032.png']``.
        writer (str, optional): See :func:`manifest_file`.

    Raises:
        ValueError: If a name is hidden or has a folder part.
        OSError: If the manifest is a symbolic link (named; never written
            through).
    """
    bad = [n for n in file_names if not _is_plain_name(str(n))]
    if bad:
        raise ValueError(f'{output_dir}: cannot list {bad[:_MAX_NAMES]} as '
                         'written files: a stage file name is a visible '
                         'name without a folder part')
    if not file_names:
        return
    fd = open_nofollow(
        manifest_file(output_dir, writer),
        os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    with os.fdopen(fd, 'a', encoding='utf-8') as f:
        f.write(''.join(f'{name}\n' for name in file_names))


def _manifests(output_dir: PathLike) -> List[str]:
    """Paths of every manifest of a folder."""
    if not osp.isdir(output_dir):
        return []
    return sorted(
        entry.path for entry in os.scandir(output_dir)
        if entry.name.startswith(MANIFEST_PREFIX)
        and entry.name.endswith(MANIFEST_SUFFIX) and entry.is_file())


def written_files(output_dir: PathLike) -> Set[str]:
    """Names the writers of a folder listed (:func:`note_written`).

    Args:
        output_dir (str): The stage folder.

    Returns:
        set[str]: The listed names (lines that are no plain file name,
        e.g. a line cut by a kill, are left out).
    """
    names: Set[str] = set()
    for path in _manifests(output_dir):
        with open(path, encoding='utf-8', errors='replace') as f:
            names.update(line.rstrip('\n') for line in f)
    return {n for n in names if _is_plain_name(n)}


def _foreign_files(output_dir: PathLike, files: Sequence[str],
                   recorded: Optional[Mapping]) -> List[str]:
    """The output files of a folder that no writer of it listed."""
    if recorded is None:
        return list(files)
    listed = written_files(output_dir)
    return [name for name in files if name not in listed]


def _foreign_error(output_dir: PathLike, foreign: Sequence[str],
                   suffix: Optional[str],
                   recorded: Optional[Mapping]) -> StaleOutputError:
    """The refusal of a folder that holds files no writer listed."""
    shown = ', '.join(foreign[:_MAX_NAMES]) + (
        ', ...' if len(foreign) > _MAX_NAMES else '')
    if recorded is None:
        why = (f'without a provenance record ({STAGE_FILE}), so of unknown '
               'origin')
    else:
        why = (f'that no writer of its record ({describe_producer(recorded)})'
               f' listed in its {MANIFEST_PREFIX}*{MANIFEST_SUFFIX} '
               'manifests')
    return StaleOutputError(
        f'{output_dir} holds {len(foreign)} {suffix} file(s) {why}: '
        f'{shown}\n'
        'They may be data of yours (e.g. a copy of a dataset\'s masks, or '
        'the outputs of an rpnet_mmseg that kept no manifest), so they are '
        "neither deleted (not even with on_stale='overwrite') nor taken "
        'for finished outputs: write to another output_dir, or move them '
        'out of the folder.')


def _remove(path: str) -> None:
    """Remove a file that may already be gone."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def check_or_record(output_dir: PathLike,
                    producer: Mapping,
                    on_stale: str = 'error',
                    suffix: Optional[str] = None) -> str:
    """Compare a producer with a folder's record before writing into it.

    Call it once per run (per epoch in a val loop), in one process, before
    any output is written; see the module docstring for the rules. The
    writer then lists each file with :func:`note_written` before writing
    it.

    Args:
        output_dir (str): The stage folder (created if missing).
        producer (dict): The writer's producer (:func:`make_record` or
            :func:`unknown_producer`).
        on_stale (str): ``'error'`` (default) or ``'overwrite'``.
        suffix (str, optional): Suffix of the folder's output files (e.g.
            ``'.npy'``): found without a record or a manifest entry they
            are foreign, and ``'overwrite'`` deletes the listed ones.
            Defaults to None (the folder's files are not looked at).

    Returns:
        str: ``'new'`` (recorded, nothing to keep), ``'resume'`` (same
        producer: finished files may be kept) or ``'overwrite'`` (the old
        outputs the manifests list deleted, producer recorded).

    Raises:
        ValueError: If ``on_stale`` is not one of ``ON_STALE``.
        StaleOutputError: If the folder holds foreign output files (any
            ``on_stale``), or another producer's outputs and
            ``on_stale == 'error'``.
    """
    if on_stale not in ON_STALE:
        raise ValueError(f'on_stale must be one of {ON_STALE}, got '
                         f'{on_stale!r}')
    os.makedirs(output_dir, exist_ok=True)
    remove_stale_tmp_files(str(output_dir))
    recorded = read_record(output_dir)
    files = output_files(output_dir, suffix) if suffix else []
    foreign = _foreign_files(output_dir, files, recorded)
    if recorded is not None and same_producer(recorded, producer):
        if foreign:
            raise _foreign_error(output_dir, foreign, suffix, recorded)
        return 'resume'
    if not files and (recorded is None or suffix):
        # Nothing another producer wrote can pass as ours.
        for path in _manifests(output_dir):
            _remove(path)
        write_record(output_dir, producer)
        return 'new'
    if foreign:
        raise _foreign_error(output_dir, foreign, suffix, recorded)
    if on_stale == 'error':
        hint = ''
        if is_unknown(producer):
            hint = (' This writer was not told its producer: add '
                    "custom_hooks=[dict(type='StageProvenanceHook')] to the "
                    'config (tools/train.py and tools/test.py add it) so '
                    'that it can resume a folder it produced.')
        changed = '' if is_unknown(producer) or is_unknown(recorded) else \
            '; changed:' + ''.join(f'\n    {line}' for line in
                                   record_changes(recorded, producer)[:8])
        raise StaleOutputError(
            f'{output_dir} holds outputs of: {describe_producer(recorded)}\n'
            f'  this run is: {describe_producer(producer)}{changed}\n'
            'Stale outputs must not pass as fresh: write to another '
            "output_dir, or set on_stale='overwrite' to delete and "
            f'recompute them.{hint}')
    # Every output file is listed (no foreign one): delete them, then the
    # manifests, then record the new producer. Killed in between, the old
    # record stays until every listed file is gone, so a listed file never
    # passes as the new producer's.
    for name in files:
        _remove(osp.join(output_dir, name))
    for path in _manifests(output_dir):
        _remove(path)
    write_record(output_dir, producer)
    return 'overwrite'
