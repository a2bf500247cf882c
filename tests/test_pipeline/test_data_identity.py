"""A stage's identity covers the data it reads and the code that runs it.

A three-stage pipeline on a tiny VOC tree: ``cam`` runs with the shipped
CAM config (whose datasets read ``train_aug.txt``, ``JPEGImages``,
``SegmentationClass`` and ``cls_labels.npz``), ``below`` reads ``cam``'s
output, ``dev_eval`` names the data root and ``val.txt`` on its command
line. Each writes a new value every run, as training does.
"""
import os
import os.path as osp

import numpy as np
from mmengine.config import Config
from PIL import Image

from rpnet_mmseg.pipeline import PipelineRunner
from tiny_trees import build_voc_tree

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CAM_CONFIG = 'configs/rpnet/rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py'
TOOL = '''import os, sys, time
out = sys.argv[-1]
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, 'w') as f:
    f.write(str(time.time_ns()))
'''


def _pipeline(tmp_path):
    tool = tmp_path / 'tool.py'
    tool.write_text(TOOL)
    data = str(tmp_path / 'voc')
    if not osp.isdir(data):
        build_voc_tree(data)
    return Config(dict(
        work_dir=str(tmp_path / 'run'), data_root=data,
        stages=dict(
            cam=dict(kind='script', script=str(tool), config=CAM_CONFIG,
                     args=['{output}'], output='{root}/cam.txt'),
            below=dict(kind='script', script=str(tool),
                       args=['{cam}', '{output}'],
                       output='{root}/below.txt'),
            dev_eval=dict(kind='script', script=str(tool),
                          args=['--data-root', '{data_root}', '--split',
                                'ImageSets/Segmentation/val.txt',
                                '{output}'],
                          output='{root}/dev_eval.txt'))))


def _run(tmp_path, capsys, **kwargs):
    runner = PipelineRunner(_pipeline(tmp_path), REPO, **kwargs)
    runner.run()
    return runner.verdicts, capsys.readouterr().out


def _reason(out, stage):
    """What the run printed as the change of ``stage``."""
    lines = [line for line in out.splitlines()
             if line.startswith(f'  {stage}  changed  ')]
    assert len(lines) == 1, out
    return lines[0].split('  changed  ', 1)[1]


ALL = {'cam': 'changed', 'below': 'changed', 'dev_eval': 'changed'}


def test_data_changes_rerun_the_stages_that_read_them(tmp_path, capsys):
    data = tmp_path / 'voc'
    assert set(_run(tmp_path, capsys)[0].values()) == {'new'}
    # unchanged: every stage reused
    assert set(_run(tmp_path, capsys)[0].values()) == {'done'}

    # other labels for a third of the images, at the same path
    with np.load(data / 'cls_labels.npz') as npz:
        names, labels = npz['names'], npz['labels'].copy()
    labels[:len(labels) // 3] = np.roll(labels[:len(labels) // 3], 1, axis=1)
    np.savez(data / 'cls_labels.npz', names=names, labels=labels)
    verdicts, out = _run(tmp_path, capsys)
    assert verdicts == ALL
    assert _reason(out, 'cam').endswith('voc/cls_labels.npz')
    assert 'input cam' in _reason(out, 'below')

    # one training image replaced
    image = data / 'JPEGImages' / f'{names[0]}.jpg'
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(image)
    verdicts, out = _run(tmp_path, capsys)
    assert verdicts == ALL
    assert _reason(out, 'cam').endswith('voc/JPEGImages')

    # one name dropped from the training split
    split = data / 'ImageSets' / 'Segmentation' / 'train_aug.txt'
    split.write_text('\n'.join(split.read_text().split()[1:]) + '\n')
    verdicts, out = _run(tmp_path, capsys)
    assert verdicts == ALL
    assert _reason(out, 'cam').startswith(str(split))

    # the split only the evaluation reads: only it reruns
    val = data / 'ImageSets' / 'Segmentation' / 'val.txt'
    val.write_text('\n'.join(val.read_text().split()[1:]) + '\n')
    verdicts, out = _run(tmp_path, capsys)
    assert verdicts == {'cam': 'done', 'below': 'done', 'dev_eval': 'changed'}
    assert str(val) in _reason(out, 'dev_eval')
    assert set(_run(tmp_path, capsys)[0].values()) == {'done'}


def test_code_change_is_named_and_can_be_accepted(tmp_path, capsys,
                                                  monkeypatch):
    _run(tmp_path, capsys)
    code = PipelineRunner._code
    monkeypatch.setattr(PipelineRunner, '_code',
                        lambda self, stage: code(self, stage) + 'edited')
    # dry run: every stage would rerun, saying why
    runner = PipelineRunner(_pipeline(tmp_path), REPO)
    runner.run(dry_run=True)
    out = capsys.readouterr().out
    assert runner.verdicts['cam'] == 'changed'
    assert _reason(out, 'cam').startswith('code')
    # accepted: reused, and recorded, so a plain run reuses it too
    assert set(_run(tmp_path, capsys, accept_code=True)[0].values()) == \
        {'done'}
    assert set(_run(tmp_path, capsys)[0].values()) == {'done'}
    assert os.listdir(tmp_path / 'run')  # nothing was cleared
    # another edit and a data change: the reason names the data alone
    monkeypatch.setattr(PipelineRunner, '_code',
                        lambda self, stage: code(self, stage) + 'again')
    val = tmp_path / 'voc' / 'ImageSets' / 'Segmentation' / 'val.txt'
    val.write_text('\n'.join(val.read_text().split()[1:]) + '\n')
    verdicts, out = _run(tmp_path, capsys, accept_code=True)
    assert verdicts == {'cam': 'done', 'below': 'done', 'dev_eval': 'changed'}
    assert str(val) in _reason(out, 'dev_eval')
    assert 'code (' not in _reason(out, 'dev_eval')


def test_config_change_is_named_by_its_key(tmp_path, capsys):
    """The stage record holds the flattened config: a changed entry is
    named with both values, and the stages that read the output rerun."""
    _run(tmp_path, capsys)
    cfg = _pipeline(tmp_path)
    cfg.stages.cam.cfg_options = {'model.backbone.frozen_stages': 1}
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    out = capsys.readouterr().out
    assert runner.verdicts == ALL | {'dev_eval': 'done'}
    assert _reason(out, 'cam').startswith(
        'config model.backbone.frozen_stages: 2')
    assert _reason(out, 'cam').endswith(' -> 1')
    assert _reason(out, 'below') == 'input cam'


def test_a_moved_run_with_config_stages_is_up_to_date(tmp_path, capsys):
    """A stage config that names the run folder (here an option) keeps its
    record when the run folder is moved: the run's path is un-rooted."""
    import shutil
    own = tmp_path / 'own_config.py'  # a user's config: no work_root
    own.write_text("model = dict(type='X')\n")
    cfg = _pipeline(tmp_path)
    cfg.stages.below.config = str(own)
    cfg.stages.below.cfg_options = {'notes_dir': '{root}/notes'}
    PipelineRunner(cfg, REPO).run()
    shutil.copytree(tmp_path / 'run', tmp_path / 'moved')
    cfg.work_dir = str(tmp_path / 'moved')
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    assert set(runner.verdicts.values()) == {'done'}, capsys.readouterr().out


def test_data_copied_with_new_times_reruns_nothing(tmp_path, capsys):
    """A dataset copied without its times (``cp -r``, a cluster's scratch
    disk) is the same data: every stage is reused."""
    _run(tmp_path, capsys)
    for folder, _, files in os.walk(tmp_path / 'voc'):
        for name in files:
            os.utime(osp.join(folder, name), ns=(7, 7))
    assert set(_run(tmp_path, capsys)[0].values()) == {'done'}
