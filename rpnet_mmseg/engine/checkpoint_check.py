"""Refuse a checkpoint that does not match the model it is loaded into."""
from typing import Any, Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import find_latest_checkpoint
from mmseg.registry import HOOKS
from torch import nn

from .checkpoint_safety import load_checkpoint_file

__all__ = [
    'CheckpointMatchHook', 'checkpoint_mismatches', 'load_checkpoint_strict'
]


def _unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DDP wrapper or a test-time-augmentation model
    (both hold it as ``.module``; mmengine loads a checkpoint into it)."""
    if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        return model.module
    return model


def _state_dict(checkpoint: Any, filename: str) -> Dict[str, Any]:
    """The ``state_dict`` of a loaded checkpoint, ``module.`` prefixes cut."""
    if not isinstance(checkpoint, dict):
        raise ValueError(f'checkpoint {filename} holds a '
                         f'{type(checkpoint).__name__}, not a dict of weights '
                         '(or a dict with a "state_dict")')
    state = checkpoint.get('state_dict', checkpoint)
    return {k[7:] if k.startswith('module.') else k: v
            for k, v in state.items()}


def checkpoint_mismatches(model: nn.Module,
                          state_dict: Dict[str, torch.Tensor]) -> List[str]:
    """Describe how ``state_dict`` differs from ``model``'s parameters.

    Args:
        model (nn.Module): The model (a wrapper or TTA model is unwrapped).
        state_dict (dict): The checkpoint's ``state_dict``.

    Returns:
        list[str]: One line per missing key, unexpected key or shape
        mismatch (at most 5 of each kind); empty when they match.
    """
    own = _unwrap(model).state_dict()
    state = _state_dict(state_dict, '')
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in own
        if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    lines = []
    for title, items in (('missing in checkpoint', missing),
                         ('not in model', unexpected),
                         ('shape mismatch', shapes)):
        if items:
            lines.append(f'{len(items)} {title}: ' + '; '.join(items[:5]) +
                         (' ...' if len(items) > 5 else ''))
    return lines


def _check(model: nn.Module, checkpoint: Any, filename: str) -> None:
    """Raise a ValueError naming ``filename`` if it does not fit ``model``.
    """
    problems = checkpoint_mismatches(model, _state_dict(checkpoint, filename))
    if problems:
        raise ValueError(f'checkpoint {filename} does not match the model '
                         'of the config:\n  ' + '\n  '.join(problems))


def load_checkpoint_strict(model: nn.Module, filename: str) -> Any:
    """Load ``filename`` into ``model``; every key and shape must match.

    Args:
        model (nn.Module): The model (a wrapper or TTA model is unwrapped).
        filename (str): Path of the checkpoint.

    Returns:
        Any: The loaded checkpoint (``meta`` and the rest included).

    Raises:
        ValueError: Naming the file and listing the differences.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    _check(model, checkpoint, filename)
    _unwrap(model).load_state_dict(_state_dict(checkpoint, filename))
    return checkpoint


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Refuse a ``load_from`` or resumed checkpoint made for another model.

    mmengine's Runner loads checkpoints with ``strict=False`` and only logs
    missing and unexpected keys, which would silently test (or fine-tune)
    an untrained network. This hook checks the checkpoint mmengine has just
    read (``after_load_checkpoint``, before it reaches the model), so the
    file is read once. ``tools/train.py`` and ``tools/test.py`` add it
    (:func:`~rpnet_mmseg.engine.add_run_hooks`).
    """
    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Raise a ValueError naming the file if the weights do not fit."""
        name: Optional[str] = getattr(runner, '_load_from', None) or \
            find_latest_checkpoint(runner.work_dir) or 'the checkpoint'
        _check(runner.model, checkpoint, name)
