"""AtomicCheckpointHook: a kill during a save never costs a checkpoint."""
import os
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from rpnet_mmseg.engine import AtomicCheckpointHook, load_checkpoint_file


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs, mode='tensor'):
        out = self.fc(inputs)
        return {'loss': out.pow(2).mean()} if mode == 'loss' else out


def _runner(work_dir, max_epochs, max_keep_ckpts=1):
    data = [dict(inputs=torch.randn(2)) for _ in range(4)]
    return Runner(
        model=_Toy(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data, sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=AtomicCheckpointHook(
            interval=1, max_keep_ckpts=max_keep_ckpts)),
        default_scope='mmengine')


def test_keeps_the_newest_and_leaves_no_temporary_file(tmp_path):
    _runner(tmp_path, 3).train()
    pths = sorted(n for n in os.listdir(tmp_path) if n.endswith('.pth'))
    assert pths == ['epoch_3.pth']
    assert not [n for n in os.listdir(tmp_path) if '.tmp.' in n]
    assert open(tmp_path / 'last_checkpoint').read().endswith('epoch_3.pth')
    assert load_checkpoint_file(tmp_path / 'epoch_3.pth')['meta']['epoch'] == 3


def test_a_save_killed_midway_keeps_the_previous_checkpoint(
        tmp_path, monkeypatch):
    import mmengine.runner.checkpoint as ckpt_mod
    real_save = torch.save
    calls = []

    def dying_save(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # epoch 2: half a file, then the "kill"
            f.write(b'PK\x03\x04 half a checkpoint')
            raise KeyboardInterrupt
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(ckpt_mod.torch, 'save', dying_save)
    with pytest.raises(KeyboardInterrupt):
        _runner(tmp_path, 3).train()
    # mmengine's own hook would have deleted epoch_1 before saving epoch_2
    # and left a truncated epoch_2.pth behind.
    assert not osp.exists(tmp_path / 'epoch_2.pth')
    assert load_checkpoint_file(tmp_path / 'epoch_1.pth')['meta']['epoch'] == 1
    assert open(tmp_path / 'last_checkpoint').read().endswith('epoch_1.pth')
