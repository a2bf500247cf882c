"""Is a CAM run alive? The check a pipeline makes before IRN reads it.

A CAM network can collapse early in training: its classifier pushes every
class score below zero, ``ReLU(Theta^T f)`` (eq. 2) is zero everywhere and
the CAMs of the image's own classes are empty, so every pixel falls below
the background threshold. Such a run still writes a complete, valid CAM
folder; IRN, its pseudo-labels and DeepLab would then train for hours on
nothing. Two signs, neither needing masks:

- the CAM folder: the share of pixels whose highest CAM reaches the
  background threshold (the foreground IRN's relation labels start from),
  per image; a dead run has none in most images;
- the training log: ``loss_cls`` (logged by mmengine in
  ``WORK_DIR/*/vis_data/scalars.json``) ends about where it started; a
  healthy run divides it by ten or more.
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.utils import track_iter_progress

from ..fileio import cam_path, load_cam

__all__ = [
    'DeadStageError', 'cam_foreground_fractions', 'logged_losses',
    'check_cam_run'
]


class DeadStageError(RuntimeError):
    """A stage finished but its outputs are degenerate."""


def cam_foreground_fractions(cam_dir: str,
                             names: Sequence[str],
                             threshold: float = 0.15,
                             progress: bool = False) -> np.ndarray:
    """Share of each image's pixels whose highest CAM is >= ``threshold``.

    Args:
        cam_dir (str): CAM folder (``NAME.npz`` or IRN's ``NAME.npy``).
        names (Sequence[str]): Images to read.
        threshold (float): Background threshold of the max-normalised
            CAMs. Defaults to 0.15 (IRN's evaluation threshold).
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        np.ndarray: One fraction in [0, 1] per image (0 for an image whose
        CAM file lists no class).
    """
    fractions = []
    for name in track_iter_progress(list(names)) if progress else names:
        cams = load_cam(cam_path(cam_dir, name), required=('high_res', ))
        high_res = cams['high_res']
        fractions.append(
            float((high_res.max(axis=0) >= threshold).mean())
            if len(high_res) else 0.0)
    return np.asarray(fractions, dtype=np.float64)


def logged_losses(work_dir: str, key: str = 'loss_cls') -> List[float]:
    """The values of ``key`` that mmengine logged in ``work_dir``, by step.

    Reads every run folder's ``vis_data/scalars.json`` (a resumed training
    has several); a step logged twice keeps its latest value.

    Args:
        work_dir (str): The training's work dir.
        key (str): The logged scalar. Defaults to 'loss_cls'.

    Returns:
        list[float]: The values in step order; empty when nothing was
        logged.
    """
    by_step: Dict[int, float] = {}
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if key in record and 'step' in record:
                    by_step[int(record['step'])] = float(record[key])
    return [by_step[s] for s in sorted(by_step)]


def check_cam_run(cam_dir: str,
                  names: Sequence[str],
                  run: str,
                  work_dir: Optional[str] = None,
                  threshold: float = 0.15,
                  min_foreground: float = 0.01,
                  max_loss_ratio: float = 0.5,
                  loss_key: str = 'loss_cls') -> Dict[str, float]:
    """Raise :class:`DeadStageError` when a CAM run is degenerate.

    Dead when the median image has less than ``min_foreground`` of its
    pixels at or above ``threshold`` (all-background CAMs), or when the
    last logged ``loss_key`` is more than ``max_loss_ratio`` times the
    first (a loss that never left its start; healthy demo runs end below
    0.1 times it).

    Args:
        cam_dir (str): The run's CAM folder.
        names (Sequence[str]): Images whose CAMs to read.
        run (str): The run's name for the message (e.g. 'rpnet seed 2').
        work_dir (str, optional): The training's work dir (its logged
            losses are checked). Defaults to None (not checked).
        threshold (float): Background threshold. Defaults to 0.15.
        min_foreground (float): Smallest healthy median foreground share.
            Defaults to 0.01.
        max_loss_ratio (float): Largest healthy last / first loss.
            Defaults to 0.5.
        loss_key (str): Logged loss to check. Defaults to 'loss_cls'.

    Returns:
        dict: ``median_foreground`` and, with ``work_dir``, ``loss_first``
        and ``loss_last``.

    Raises:
        DeadStageError: Naming the run, the folder and the sign.
    """
    report: Dict[str, float] = {}
    fractions = cam_foreground_fractions(cam_dir, names, threshold)
    report['median_foreground'] = float(np.median(fractions))
    if report['median_foreground'] < min_foreground:
        raise DeadStageError(
            f'{run}: the CAMs in {cam_dir} are degenerate: the median image '
            f'has {100 * report["median_foreground"]:.2f}% of its pixels at '
            f'or above the background threshold {threshold} (healthy runs: '
            'tens of %); the CAM network collapsed, so no later stage runs '
            'on it. Retrain it (another seed, or a schedule with warm-up).')
    if work_dir is not None:
        losses = logged_losses(work_dir, loss_key)
        if len(losses) >= 2:
            report['loss_first'], report['loss_last'] = losses[0], losses[-1]
            if losses[-1] > max_loss_ratio * losses[0]:
                raise DeadStageError(
                    f'{run}: {loss_key} in {work_dir} went from '
                    f'{losses[0]:.4f} to {losses[-1]:.4f}, never below '
                    f'{max_loss_ratio} times its start: the CAM network did '
                    'not learn, so no later stage runs on it.')
    return report
