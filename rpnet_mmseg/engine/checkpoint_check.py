"""Refuse a checkpoint that does not match the model of a config."""
from typing import Dict, List

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import nn


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
    # DDP wrappers and test-time-augmentation models (tools/test.py --tta)
    # hold the network as ``.module``; mmengine loads the checkpoint into it.
    if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    own = model.state_dict()
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


def check_checkpoint_matches(model: nn.Module, filename: str) -> None:
    """Raise if the checkpoint at ``filename`` does not fit ``model``.

    mmengine's Runner loads ``load_from`` with ``strict=False`` and only logs
    mismatches, which would silently test an untrained network.

    Args:
        model (nn.Module): The model built from the config.
        filename (str): Path of the checkpoint.

    Raises:
        ValueError: Naming the file and listing the differences.
    """
    ckpt = torch.load(filename, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    problems = checkpoint_mismatches(model, state)
    if problems:
        raise ValueError(f'checkpoint {filename} does not match the model '
                         'of the config:\n  ' + '\n  '.join(problems))
