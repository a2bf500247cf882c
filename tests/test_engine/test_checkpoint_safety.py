import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from rpnet_mmseg.engine import allow_mmengine_checkpoint_types


class NotAllowed:
    """An arbitrary class: weights-only loading must keep refusing it."""


def _save(obj, tmp_path, name):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def test_message_hub_and_numpy_scalars_load_weights_only(tmp_path):
    assert allow_mmengine_checkpoint_types()
    hub = MessageHub.get_instance('ckpt_safety_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(0.01))
    ckpt = dict(
        meta=dict(seed=np.int64(3), epoch=2),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict())
    loaded = torch.load(_save(ckpt, tmp_path, 'ok.pth'), weights_only=True)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.current() == 0.5
    assert loaded['meta']['seed'] == 3


def test_other_objects_are_still_refused(tmp_path):
    allow_mmengine_checkpoint_types()
    path = _save({'x': NotAllowed()}, tmp_path, 'bad.pth')
    with pytest.raises(pickle.UnpicklingError, match='NotAllowed'):
        torch.load(path, weights_only=True)


def test_getattr_stand_in_refuses_other_lookups(tmp_path):
    allow_mmengine_checkpoint_types()
    # getattr(HistoryBuffer, '__init__') passes the GLOBAL checks (both
    # globals are allowed) and must be refused by the stand-in.
    payload = (b'\x80\x02cbuiltins\ngetattr\n'
               b'cmmengine.logging.history_buffer\nHistoryBuffer\n'
               b'X\x08\x00\x00\x00__init__\x86R.')
    path = tmp_path / 'evil.pkl'
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        torch.load(path, weights_only=True)
