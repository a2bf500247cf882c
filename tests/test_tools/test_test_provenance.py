"""tools/test.py into a folder of another checkpoint: refuse or recompute.

Issue 6: a re-run with another checkpoint into the same CAM folder used to
keep the old maps silently. Two checkpoints of the tiny config (random
weights of two seeds, no training needed) write into one folder.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

NUM = 4  # images run per call (test_dataloader.dataset.indices)


def _checkpoint(cfg_path, seed, path):
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(cfg_path).model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def _test(job, cfg, ckpt, out, *extra):
    return subprocess.run([
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir',
        str(job.tmp / 'work'), '--cfg-options',
        f'test_evaluator.output_dir={out}',
        f'test_dataloader.dataset.indices={NUM}', *extra
    ],
                          cwd=job.repo,
                          capture_output=True,
                          text=True,
                          timeout=600)


def _cams(out):
    return {
        n: np.load(osp.join(out, n), allow_pickle=False)['high_res']
        for n in sorted(os.listdir(out)) if n.endswith('.npz')
    }


def test_other_checkpoint_refused_then_overwritten(tiny_job):
    cfg = tiny_job.write_config('cam.py', head='CAMHead', epochs=1)
    ckpt_a = _checkpoint(cfg, 0, str(tiny_job.tmp / 'a.pth'))
    ckpt_b = _checkpoint(cfg, 1, str(tiny_job.tmp / 'b.pth'))
    out = str(tiny_job.tmp / 'cams')

    first = _test(tiny_job, cfg, ckpt_a, out)
    assert first.returncode == 0, first.stderr[-3000:]
    cams_a = _cams(out)
    assert len(cams_a) == NUM
    with open(osp.join(out, '.rpnet_stage.json')) as f:
        record = json.load(f)
    assert record['checkpoint'] == ckpt_a and record['stage'] == 'CAMWriter'
    assert record['config_file'] == cfg

    refused = _test(tiny_job, cfg, ckpt_b, out)
    assert refused.returncode != 0
    assert 'StaleOutputError' in refused.stderr
    assert out in refused.stderr and "on_stale='overwrite'" in refused.stderr
    for name, cam in _cams(out).items():  # nothing touched
        np.testing.assert_array_equal(cam, cams_a[name])

    over = _test(tiny_job, cfg, ckpt_b, out,
                 'test_evaluator.on_stale=overwrite')
    assert over.returncode == 0, over.stderr[-3000:]
    assert f'{NUM} files written, 0 already present' in over.stdout
    cams_b = _cams(out)
    assert sorted(cams_b) == sorted(cams_a)
    assert any(not np.allclose(cams_b[n], cams_a[n]) for n in cams_a)

    # The same checkpoint again: every file is kept (resume).
    again = _test(tiny_job, cfg, ckpt_b, out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f'0 files written, {NUM} already present' in again.stdout
