"""tools/train.py stops on bad inputs before training, naming the file.

- ``load_from`` a checkpoint of another model: mmengine loads it with
  ``strict=False`` and only logs the keys that do not fit, so fine-tuning
  would start from a half-initialised network;
- an empty split file: mmengine stopped on "need at least one array to
  concatenate", naming no file.
"""
import subprocess
import sys

import torch


def _train(tiny_job, *options):
    cfg = tiny_job.write_config('rp.py', epochs=1)
    return subprocess.run([
        sys.executable, 'tools/train.py', cfg, '--work-dir',
        str(tiny_job.tmp / 'work'), '--cfg-options', *options
    ],
                          cwd=tiny_job.repo,
                          capture_output=True,
                          text=True)


def test_load_from_of_another_model_names_the_file(tiny_job):
    other = tiny_job.tmp / 'other_model.pth'
    torch.save({'state_dict': torch.nn.Conv2d(3, 4, 1).state_dict()}, other)
    res = _train(tiny_job, f'load_from={other}')
    assert res.returncode != 0
    assert str(other) in res.stderr and 'does not match' in res.stderr
    assert 'missing in checkpoint' in res.stderr
    assert not list((tiny_job.tmp / 'work').glob('epoch_*.pth'))


def test_empty_split_names_the_file(tiny_job):
    empty = tiny_job.tmp / 'empty.txt'
    empty.write_text('')
    res = _train(tiny_job, f'train_dataloader.dataset.ann_file={empty}')
    assert res.returncode != 0
    assert f"'{empty}' lists no image" in res.stderr, res.stderr[-2000:]
    assert 'need at least one array' not in res.stderr
