"""Resume training only from a complete checkpoint of the same run.

``tools/train.py --resume`` continues the work dir's latest checkpoint.
Two things can make that wrong, and both are refused or avoided here:

- the latest checkpoint is incomplete (a kill during a save by an mmengine
  without :class:`AtomicCheckpointHook`, a full disk): it is named, and the
  run resumes from the newest checkpoint that is complete
  (:func:`resume_checkpoint`);
- the run's config or inputs changed since the work dir was started (other
  relation labels, pseudo-labels or CAM weights, another schedule): the
  work dir records the resolved config and the content sha1 of its
  training labels (``pseudo_label_dir``) in ``.rpnet_train.json`` when
  training starts (:func:`write_train_record`), and resuming under a
  different one, or on labels rewritten since, is refused with the changes
  named
  (:func:`check_resume_config`). Pipelines put the identity of each input
  folder in the config (``stage_inputs``), so a change of input content is
  a change of config.
"""
import json
import os
import os.path as osp
import re
import zipfile
from typing import Any, Dict, List, Mapping, Optional, Tuple

from mmengine.config import Config

from ..fileio.atomic import save_text_atomic

__all__ = [
    'TRAIN_RECORD', 'ResumeMismatchError', 'checkpoint_is_complete',
    'resume_checkpoint', 'flatten_config', 'check_resume_config',
    'write_train_record'
]

TRAIN_RECORD = '.rpnet_train.json'
# Entries that say where and how this process runs, set by the launching
# tool itself: they differ between a run and its resumption by design.
_LAUNCH_KEYS = ('work_dir', 'resume', 'load_from', 'launcher', 'filename')
_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
# How many changed keys an error lists.
_MAX_SHOWN = 8


class ResumeMismatchError(RuntimeError):
    """A work dir was started with another config or other inputs."""


def checkpoint_is_complete(path: str) -> bool:
    """Whether a checkpoint file is a whole torch zip archive.

    ``torch.save`` writes a zip archive whose central directory comes last,
    so a truncated file has none. Only the directory is read.

    Args:
        path (str): Local checkpoint file.

    Returns:
        bool: True if the archive opens and lists a ``data.pkl``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith('data.pkl') for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _candidates(work_dir: str) -> List[str]:
    """``last_checkpoint``'s target, then ``epoch_N`` / ``iter_N`` files,
    newest first."""
    found = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target:
            # mmengine writes an absolute path: in a copied or moved work
            # dir it names the original's file, so read it as a name here
            found.append(osp.join(work_dir, osp.basename(target)))
    numbered = []
    if osp.isdir(work_dir):
        for name in sorted(os.listdir(work_dir)):
            match = _CKPT_NAME.match(name)
            if match:
                numbered.append((int(match.group(2)), name))
    for _, name in sorted(numbered, reverse=True):
        path = osp.join(work_dir, name)
        if all(osp.abspath(path) != osp.abspath(p) for p in found):
            found.append(path)
    return found


def resume_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The newest complete checkpoint of a work dir, and the broken ones.

    Args:
        work_dir (str): The training work dir.

    Returns:
        tuple: (path or None, incomplete checkpoint files passed over).
    """
    broken = []
    for path in _candidates(work_dir):
        if not osp.isfile(path):
            continue
        if checkpoint_is_complete(path):
            return path, broken
        broken.append(path)
    return None, broken


def _plain(value: Any) -> Any:
    """JSON-able text of a config value (classes by import path)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, type) or callable(value):
        return (f'{getattr(value, "__module__", "")}.'
                f'{getattr(value, "__qualname__", repr(value))}')
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
    out: Dict[str, Any] = {}
    if isinstance(cfg, Mapping):
        items = [(str(k), v) for k, v in cfg.items()]
    elif isinstance(cfg, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(cfg)]
    else:
        return {prefix: _plain(cfg)}
    if not items:
        return {prefix: '{}' if isinstance(cfg, Mapping) else '[]'}
    for key, value in items:
        out.update(flatten_config(value, f'{prefix}.{key}' if prefix else key))
    return out


def _identity(cfg: Config) -> Dict[str, Any]:
    """The flattened config without the launching tool's own entries, with
    the run's own folders (``work_root`` of the pipeline bases, the work
    dir) written as ``<work_root>`` / ``<work_dir>``: a work dir copied or
    moved with its run resumes."""
    roots = sorted(
        ((str(cfg.get(k)).rstrip('/'), f'<{k}>')
         for k in ('work_root', 'work_dir') if cfg.get(k)),
        key=lambda r: -len(r[0]))
    patterns = [(re.compile(re.escape(root) + r'(?=/|$)'), name)
                for root, name in roots]

    def unrooted(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for pattern, name in patterns:
            value = pattern.sub(name, value)
        return value

    return {
        k: unrooted(v)
        for k, v in flatten_config(cfg).items()
        if k.split('.')[0] not in _LAUNCH_KEYS
    }


def label_fingerprints(cfg: Config) -> Dict[str, Optional[str]]:
    """Content sha1 of every label folder the training set reads.

    Args:
        cfg (Config): The resolved config.

    Returns:
        dict: folder -> content sha1 (None if the folder does not exist).
    """
    from ..pipeline.fingerprint import fingerprint
    from ..pipeline.config_retarget import values_of_key
    loader = cfg.get('train_dataloader') or {}
    return {
        d: fingerprint(d)['sha1']
        for d in sorted(set(values_of_key(loader.get('dataset'),
                                          'pseudo_label_dir')))
    }


def write_train_record(cfg: Config, work_dir: str) -> None:
    """Record the config and the training labels a work dir starts with.

    Args:
        cfg (Config): The resolved config (options merged).
        work_dir (str): The work dir.
    """
    save_text_atomic(
        osp.join(work_dir, TRAIN_RECORD),
        json.dumps({'config': _identity(cfg),
                    'labels': label_fingerprints(cfg)},
                   indent=1, sort_keys=True))


def check_resume_config(cfg: Config, work_dir: str) -> Optional[str]:
    """Refuse to resume a work dir started under another config.

    Args:
        cfg (Config): The resolved config of the resumed run.
        work_dir (str): The work dir.

    Returns:
        str | None: A warning when the work dir has no record (started by
        an older rpnet_mmseg or by mmseg's own tools), else None.

    Raises:
        ResumeMismatchError: If the recorded config differs; the message
            names the changed keys with both values.
    """
    path = osp.join(work_dir, TRAIN_RECORD)
    if not osp.isfile(path):
        return (f'{work_dir} has no {TRAIN_RECORD}: cannot tell whether its '
                'checkpoints were trained with this config and inputs')
    try:
        with open(path) as f:
            record = json.load(f)
        recorded = record['config']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ResumeMismatchError(
            f'{path}: unreadable training record ({e})') from e
    now = _identity(cfg)
    changed = sorted(k for k in set(recorded) | set(now)
                     if recorded.get(k, '<absent>') != now.get(k, '<absent>'))
    # the labels themselves (a folder rewritten in place by an earlier stage)
    old_labels = record.get('labels') or {}
    for folder, sha1 in label_fingerprints(cfg).items():
        if folder in old_labels and old_labels[folder] != sha1:
            recorded[f'<content of {folder}>'] = (old_labels[folder]
                                                  or 'missing')[:12]
            now[f'<content of {folder}>'] = (sha1 or 'missing')[:12]
            changed.append(f'<content of {folder}>')
    if not changed:
        return None
    shown = '\n'.join(
        f'  {k}: {recorded.get(k, "<absent>")!r} -> {now.get(k, "<absent>")!r}'
        for k in changed[:_MAX_SHOWN])
    more = (f'\n  ... and {len(changed) - _MAX_SHOWN} more'
            if len(changed) > _MAX_SHOWN else '')
    raise ResumeMismatchError(
        f'{work_dir} was trained under another config or other inputs; '
        f'resuming would mix the two runs. Changed:\n{shown}{more}\n'
        'Train in a new work dir, drop --resume to start again, or pass '
        '--resume-changed to resume anyway.')
