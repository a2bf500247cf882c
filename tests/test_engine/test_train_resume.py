"""The checkpoint --resume continues and the work dir's training record."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from rpnet_mmseg.engine import (ResumeMismatchError, check_resume_config,
                                latest_checkpoint, train_record,
                                write_train_record)


def _save(path, value=1.0):
    torch.save({'state_dict': {'w': torch.full((64, ), value)}}, path)


def test_latest_checkpoint_follows_the_pointer_as_a_name(tmp_path):
    assert latest_checkpoint(str(tmp_path / 'none')) is None
    assert latest_checkpoint(str(tmp_path)) is None
    for n in (1, 2, 10):
        _save(str(tmp_path / f'epoch_{n}.pth'))
    # Without a pointer: the highest number (10 sorts after 2).
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    # A copied work dir: the pointer names the original's file, which must
    # not be resumed from; its name is read in this work dir.
    other = tmp_path / 'original'
    other.mkdir()
    _save(str(other / 'epoch_1.pth'))
    (tmp_path / 'last_checkpoint').write_text(str(other / 'epoch_1.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')


def test_changed_config_is_named(tmp_path):
    cfg = Config(dict(model=dict(type='A', depth=18), work_dir='x',
                      stage_inputs=dict(cams='aaa')))
    write_train_record(train_record(cfg), str(tmp_path))
    same = Config(dict(model=dict(type='A', depth=18), work_dir='y',
                       stage_inputs=dict(cams='aaa')))
    # work_dir moves
    assert check_resume_config(train_record(same), str(tmp_path)) is None
    other = Config(dict(model=dict(type='A', depth=18), work_dir='x',
                        stage_inputs=dict(cams='bbb')))
    with pytest.raises(ResumeMismatchError,
                       match='input cams'):
        check_resume_config(train_record(other), str(tmp_path))
    warning = check_resume_config(train_record(same),
                                  str(tmp_path / 'fresh'))
    assert 'no .rpnet_train.json' in warning
    assert osp.isfile(tmp_path / '.rpnet_train.json')


def test_rewritten_training_labels_are_named(tmp_path):
    labels = tmp_path / 'pseudo_labels'
    labels.mkdir()
    (labels / 'a.png').write_bytes(b'one')
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='RepeatDataset', dataset=dict(
            type='PseudoLabelSegDataset', pseudo_label_dir=str(labels))))))
    write_train_record(train_record(cfg), str(tmp_path))
    assert check_resume_config(train_record(cfg), str(tmp_path)) is None
    (labels / 'a.png').write_bytes(b'two')  # a new IRN run, same folder
    with pytest.raises(ResumeMismatchError,
                       match=re.escape(f'Changed:\n  {labels}\n')):
        check_resume_config(train_record(cfg), str(tmp_path))


def test_a_moved_run_resumes(tmp_path):
    """Paths under the run's own folders do not count: a copied run dir
    resumes, another input folder does not."""
    import json

    def cfg(root, labels):
        return Config(dict(work_root=root, work_dir=root + '/irn',
                           cam_dir=root + '/cams', data=labels,
                           sibling='runs/a_other/x'))
    write_train_record(train_record(cfg('runs/a', 'data/x')), str(tmp_path))
    assert check_resume_config(train_record(cfg('runs/b', 'data/x')),
                               str(tmp_path)) is None
    with pytest.raises(ResumeMismatchError, match="data: 'data/x'"):
        check_resume_config(train_record(cfg('runs/b', 'data/y')),
                            str(tmp_path))
    with open(tmp_path / '.rpnet_train.json') as f:
        recorded = json.load(f)['config']
    assert recorded['cam_dir'] == '<work_root>/cams'
    assert recorded['sibling'] == 'runs/a_other/x'  # not under the root


def test_changed_weights_and_labels_files_are_named(tmp_path):
    """The record holds the data the pipeline's identity holds: here the
    pretrained weights file and an image-level label file."""
    weights = tmp_path / 'imagenet.pth'
    _save(str(weights))
    cfg = Config(dict(model=dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint=str(weights))))))
    work = tmp_path / 'work'
    work.mkdir()
    write_train_record(train_record(cfg), str(work))
    assert check_resume_config(train_record(cfg), str(work)) is None
    _save(str(weights), value=2.0)  # other weights at the same path
    with pytest.raises(ResumeMismatchError,
                       match=re.escape(f'Changed:\n  {weights}\n')):
        check_resume_config(train_record(cfg), str(work))
