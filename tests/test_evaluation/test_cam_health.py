"""check_cam_run: a collapsed CAM run is stopped, a healthy one passes."""
import json
import os

import numpy as np
import pytest

from rpnet_mmseg.evaluation import (DeadStageError, cam_foreground_fractions,
                                    check_cam_run, logged_losses)
from rpnet_mmseg.fileio import cam_path, save_cam

NAMES = ['a', 'b', 'c']


def _write(cam_dir, high_res_of):
    os.makedirs(cam_dir, exist_ok=True)
    for i, name in enumerate(NAMES):
        high_res = high_res_of(i)
        save_cam(cam_path(cam_dir, name), dict(
            keys=np.arange(len(high_res)), high_res=high_res))


def _healthy(i):
    cam = np.zeros((1, 10, 10), np.float32)
    cam[0, :4 + i] = 1.0  # 40 / 50 / 60 % of the pixels
    return cam


def _log(work_dir, losses, run='20261205_000000'):
    folder = work_dir / run / 'vis_data'
    folder.mkdir(parents=True)
    with open(folder / 'scalars.json', 'w') as f:
        for step, loss in losses:
            f.write(json.dumps(dict(step=step, loss_cls=loss, lr=0.1)) + '\n')


def test_fractions_by_hand(tmp_path):
    _write(str(tmp_path), _healthy)
    fractions = cam_foreground_fractions(str(tmp_path), NAMES, 0.5)
    assert np.allclose(fractions, [0.4, 0.5, 0.6])


def test_healthy_run_passes(tmp_path):
    cam_dir, work = str(tmp_path / 'cams'), tmp_path / 'work'
    _write(cam_dir, _healthy)
    _log(work, [(10, 0.38), (20, 0.2), (30, 0.02)])
    report = check_cam_run(cam_dir, NAMES, 'rpnet seed 0', str(work))
    assert report == dict(
        median_foreground=0.5, loss_first=0.38, loss_last=0.02)


def test_all_background_cams_stop_the_run(tmp_path):
    cam_dir = str(tmp_path / 'cams')
    # The collapse: ReLU(Theta^T f) = 0 everywhere, max-normalised to 0.
    _write(cam_dir, lambda i: np.zeros((2, 10, 10), np.float32))
    with pytest.raises(DeadStageError) as info:
        check_cam_run(cam_dir, NAMES, 'rpnet seed 2')
    assert 'rpnet seed 2' in str(info.value) and cam_dir in str(info.value)


def test_a_loss_that_never_left_its_start_stops_the_run(tmp_path):
    cam_dir, work = str(tmp_path / 'cams'), tmp_path / 'work'
    _write(cam_dir, _healthy)
    _log(work, [(10, 0.43), (20, 0.29), (30, 0.27)])
    with pytest.raises(DeadStageError, match='rpnet seed 2.*0.4300 to 0.2700'):
        check_cam_run(cam_dir, NAMES, 'rpnet seed 2', str(work))


def test_resumed_runs_are_read_in_step_order(tmp_path):
    _log(tmp_path, [(10, 0.4), (20, 0.3)], run='20261205_000000')
    _log(tmp_path, [(20, 0.25), (30, 0.1)], run='20261205_010000')
    assert logged_losses(str(tmp_path)) == [0.4, 0.25, 0.1]
