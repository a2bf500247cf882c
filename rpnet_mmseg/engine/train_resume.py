"""Resume training only from a checkpoint of the same run.

``tools/train.py --resume`` continues the work dir's latest checkpoint
(:func:`latest_checkpoint`). Checkpoints are complete by construction
(:class:`~rpnet_mmseg.engine.AtomicCheckpointHook`); a damaged file put
there by another tool is refused by name when it is loaded
(:func:`~rpnet_mmseg.engine.load_checkpoint_file`).

What must not change is the run: the work dir records what it is made of
in ``.rpnet_train.json`` when training starts (:func:`train_record`, the
record of :func:`rpnet_mmseg.fileio.make_record`): the resolved config,
the data of its training set and its weights, and the earlier outputs a
pipeline names (``stage_inputs``). Resuming
under another config, or on data changed since (other image-level labels,
relation labels or pseudo-labels at the same path, a replaced image, other
pretrained weights), is refused with the changes named
(:func:`check_resume_config`, by :func:`rpnet_mmseg.fileio.record_changes`).
"""
import json
import os
import os.path as osp
import re
from typing import Any, Dict, Mapping, Optional

from mmengine.config import Config

from ..fileio.atomic import save_text_atomic
from ..fileio.provenance import make_record, record_changes

__all__ = [
    'TRAIN_RECORD', 'ResumeMismatchError', 'latest_checkpoint',
    'train_record', 'check_resume_config', 'write_train_record'
]

TRAIN_RECORD = '.rpnet_train.json'
_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
# How many changed keys an error lists.
_MAX_SHOWN = 8


class ResumeMismatchError(RuntimeError):
    """A work dir was started with another config or other inputs."""


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues: ``last_checkpoint``'s file.

    mmengine writes an absolute path there; in a copied or moved work dir it
    names the original's file, so it is read as a name in ``work_dir``.
    Without the pointer (or its file), the highest ``epoch_N`` /
    ``iter_N``. Checkpoints are saved atomically
    (:class:`~rpnet_mmseg.engine.AtomicCheckpointHook`), and the loader
    refuses a damaged one by name, so nothing is read here.

    Args:
        work_dir (str): The training work dir.

    Returns:
        str | None: The checkpoint's path, or None if there is none.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = osp.join(work_dir, osp.basename(f.read().strip()))
        if osp.isfile(path):
            return path
    numbered = [(int(m.group(2)), m.group(0)) for m in map(
        _CKPT_NAME.match, os.listdir(work_dir) if osp.isdir(work_dir) else [])
                if m]
    return osp.join(work_dir, max(numbered)[1]) if numbered else None


def train_record(cfg: Config) -> Dict[str, Any]:
    """What a training run is made of: its config, its data and inputs.

    The one record of :func:`rpnet_mmseg.fileio.make_record` for a
    training run: the flattened config without the launching tool's own
    entries, every file or folder the training set reads and the weights
    the run loads, and the earlier outputs a pipeline names.

    Args:
        cfg (Config): The resolved config (options merged).

    Returns:
        dict: The record.
    """
    return make_record('train', cfg)


def write_train_record(record: Mapping, work_dir: str) -> None:
    """Record what a work dir starts with (:func:`train_record`).

    Args:
        record (dict): The run's :func:`train_record`.
        work_dir (str): The work dir.
    """
    save_text_atomic(
        osp.join(work_dir, TRAIN_RECORD),
        json.dumps(record, indent=1, sort_keys=True))


def check_resume_config(now: Mapping, work_dir: str) -> Optional[str]:
    """Refuse to resume a work dir started under another config.

    Args:
        now (dict): The :func:`train_record` of the resumed run.
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
    except (OSError, ValueError) as e:
        raise ResumeMismatchError(
            f'{path}: unreadable training record ({e})') from e
    if not isinstance(record, dict) or not isinstance(record.get('config'),
                                                      dict):
        raise ResumeMismatchError(
            f'{path}: unreadable training record (no "config" object)')
    changed = record_changes(record, now)
    if not changed:
        return None
    shown = '\n'.join(f'  {line}' for line in changed[:_MAX_SHOWN])
    more = (f'\n  ... and {len(changed) - _MAX_SHOWN} more'
            if len(changed) > _MAX_SHOWN else '')
    raise ResumeMismatchError(
        f'{work_dir} was trained under another config or other inputs; '
        f'resuming would mix the two runs. Changed:\n{shown}{more}\n'
        'Train in a new work dir, drop --resume to start again, or pass '
        '--resume-changed to resume anyway.')
