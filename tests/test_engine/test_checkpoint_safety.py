import io
import pickle
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

import rpnet_mmseg  # noqa: F401  (registers the loaders)
from rpnet_mmseg.engine import (CheckpointLoadError, UnsafeCheckpointError,
                                load_checkpoint_file)


class NotAllowed:
    """An arbitrary class: weights-only loading must keep refusing it."""


def _save(obj, tmp_path, name):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _hub_checkpoint():
    hub = MessageHub.get_instance('ckpt_safety_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(0.01))
    return dict(
        meta=dict(seed=np.int64(3), epoch=2, mean=np.arange(3.0)),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict())


def test_message_hub_and_numpy_scalars_load_weights_only(tmp_path):
    loaded = load_checkpoint_file(_save(_hub_checkpoint(), tmp_path, 'a.pth'))
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.current() == 0.5
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['meta']['mean'], [0., 1., 2.])


def test_the_allow_list_holds_only_inside_the_projects_loads(tmp_path):
    path = _save(_hub_checkpoint(), tmp_path, 'a.pth')
    load_checkpoint_file(path)
    # another library's weights-only load in the same process: refused
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_other_objects_are_still_refused(tmp_path):
    path = _save({'x': NotAllowed()}, tmp_path, 'bad.pth')
    with pytest.raises(UnsafeCheckpointError, match='NotAllowed'):
        load_checkpoint_file(path)


def test_getattr_stand_in_refuses_other_lookups(tmp_path):
    # getattr(HistoryBuffer, '__init__') passes the GLOBAL checks (both
    # globals are allowed) and must be refused by the stand-in.
    payload = (b'\x80\x02cbuiltins\ngetattr\n'
               b'cmmengine.logging.history_buffer\nHistoryBuffer\n'
               b'X\x08\x00\x00\x00__init__\x86R.')
    path = tmp_path / 'evil.pkl'
    path.write_bytes(payload)
    # A legacy-format file: refused as unreadable weights-only, by name.
    with pytest.raises(CheckpointLoadError, match='evil.pkl'):
        load_checkpoint_file(path)
    # The same pickle in torch.save's zip format is a refusal.
    buffer = io.BytesIO()
    torch.save({'w': torch.zeros(1)}, buffer)
    zipped = tmp_path / 'evil.pth'
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(zipped, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith('data.pkl'):
                data = payload
            dst.writestr(info, data)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint_file(zipped)


@pytest.mark.parametrize('path', [
    's3://bucket/x.pth', 'cluster:s3://bucket/x.pth', 'petrel://b/x.pth',
    'cluster:petrel://b/x.pth', 'pavi://model/x.pth'
])
def test_every_scheme_mmengine_loads_unsafely_is_refused(path):
    with pytest.raises(UnsafeCheckpointError, match=path.split('/')[0]):
        CheckpointLoader.load_checkpoint(path)


def test_loaded_arrays_save_and_load_again(tmp_path):
    # a resumed run saves the arrays it loaded in its next checkpoint
    first = load_checkpoint_file(_save(_hub_checkpoint(), tmp_path, 'a.pth'))
    again = load_checkpoint_file(_save(first, tmp_path, 'b.pth'))
    np.testing.assert_array_equal(again['meta']['mean'], [0., 1., 2.])
    assert again['message_hub']['log_scalars']['train/loss'].current() == 0.5


def test_a_checkpoint_that_holds_itself_loads(tmp_path):
    loop = {'state_dict': {'w': torch.ones(1)}}
    loop['meta'] = [loop]
    loaded = load_checkpoint_file(_save(loop, tmp_path, 'loop.pth'))
    assert loaded['meta'][0] is loaded
