"""Refuse a checkpoint that does not match the model of a config."""
from typing import Any, Dict, List

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import nn

from .checkpoint_safety import load_checkpoint_file

__all__ = [
    'checkpoint_mismatches', 'check_checkpoint_matches',
    'load_checkpoint_strict'
]


def _unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DDP wrapper or a test-time-augmentation model.

    Both hold it as ``.module`` (``tools/test.py --tta``); mmengine loads a
    checkpoint into it.
    """
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
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state_dict.items()}
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


def check_checkpoint_matches(model: nn.Module, filename: str) -> Any:
    """Raise if the checkpoint at ``filename`` does not fit ``model``.

    mmengine's Runner loads ``load_from`` with ``strict=False`` and only logs
    mismatches, which would silently test (or fine-tune) an untrained
    network. Loaded by :func:`~.checkpoint_safety.load_checkpoint_file`.

    Args:
        model (nn.Module): The model built from the config.
        filename (str): Path of the checkpoint.

    Returns:
        Any: The loaded checkpoint.

    Raises:
        ValueError: Naming the file and listing the differences.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    problems = checkpoint_mismatches(model, _state_dict(checkpoint, filename))
    if problems:
        raise ValueError(f'checkpoint {filename} does not match the model '
                         'of the config:\n  ' + '\n  '.join(problems))
    return checkpoint


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
    checkpoint = check_checkpoint_matches(model, filename)
    _unwrap(model).load_state_dict(_state_dict(checkpoint, filename))
    return checkpoint
