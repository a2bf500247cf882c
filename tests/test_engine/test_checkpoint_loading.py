"""Every checkpoint load goes through load_checkpoint_file (weights only).

A hostile checkpoint (its pickle would create a marker folder when loaded)
is refused by the function, by mmengine's loaders (``load_from``,
``--resume``, ``init_cfg=dict(type='Pretrained')``, URLs) and names the
file; so does a truncated or non-torch file.
"""
import os

import pytest
import torch
from mmengine.model import BaseModel, BaseModule
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner.checkpoint import load_checkpoint

import rpnet_mmseg  # noqa: F401  (registers the loaders)
from rpnet_mmseg.engine import (CheckpointLoadError, CheckpointMatchHook,
                                UnsafeCheckpointError, load_checkpoint_file,
                                load_checkpoint_strict)
from rpnet_mmseg.engine import checkpoint_safety


class MakesMarker:
    """Unpickled, it calls ``os.mkdir(marker)``: code run by a load."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker, )


class Toy(BaseModel):
    """The smallest model a Runner accepts."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = torch.nn.Linear(2, 2)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return self.fc(inputs)


def _runner(tmp_path, name, **kwargs):
    """A Runner of Toy; scope mmseg, as the other tests expect it after."""
    return Runner(
        model=Toy(),
        work_dir=str(tmp_path / name),
        experiment_name=name,
        default_scope='mmseg',
        **kwargs)


@pytest.fixture
def hostile(tmp_path):
    """A checkpoint with valid weights and a payload; the marker path."""
    marker = tmp_path / 'code_ran'
    path = tmp_path / 'hostile.pth'
    torch.save(
        {
            'state_dict': Toy().state_dict(),
            'meta': {
                'x': MakesMarker(str(marker))
            }
        }, path)
    return str(path), marker


@pytest.fixture
def truncated(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': Toy().state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def _refused(call, path, marker, error=UnsafeCheckpointError):
    with pytest.raises(error) as info:
        call()
    assert path in str(info.value)
    assert not marker.exists(), 'the checkpoint ran code'
    return str(info.value)


def test_the_function_refuses_and_names_the_file(hostile):
    path, marker = hostile
    msg = _refused(lambda: load_checkpoint_file(path), path, marker)
    assert 'posix.mkdir' in msg or 'mkdir' in msg
    # torch's advice to allow-list the global is not passed on.
    assert 'add_safe_globals' not in msg and 'weights_only=False' not in msg


def test_mmengine_loads_go_through_it(hostile, tmp_path):
    path, marker = hostile
    loader = CheckpointLoader._get_checkpoint_loader(path)
    assert loader is checkpoint_safety.load_from_local_weights_only
    _refused(lambda: load_checkpoint(Toy(), path), path, marker)


def test_runner_load_from_and_resume_refuse(hostile, tmp_path):
    path, marker = hostile
    for resume in (False, True):
        runner = _runner(
            tmp_path, f'hostile_{resume}', load_from=path, resume=resume)
        _refused(runner.load_or_resume, path, marker)


def test_init_cfg_pretrained_refuses(hostile):
    path, marker = hostile
    model = Toy(init_cfg=dict(type='Pretrained', checkpoint=path))
    _refused(model.init_weights, path, marker)
    part = BaseModule(
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix='fc.'))
    _refused(part.init_weights, path, marker)


@pytest.fixture
def hub(hostile, tmp_path, monkeypatch):
    """torch.hub serves the hostile file for every URL; its cache folder."""
    path, _ = hostile
    cache = tmp_path / 'hub'

    def download(url, dst, *args, **kwargs):
        with open(path, 'rb') as src, open(dst, 'wb') as out:
            out.write(src.read())

    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(cache))
    monkeypatch.setattr(torch.hub, 'download_url_to_file', download)
    return cache / 'checkpoints'


def test_url_checkpoints_go_through_it(hostile, hub):
    _, marker = hostile
    url = 'https://example.org/weights/hostile.pth'
    cached = str(hub / 'hostile.pth')
    _refused(lambda: load_checkpoint(Toy(), url), cached, marker)
    model = Toy(init_cfg=dict(type='Pretrained', checkpoint=url))
    _refused(model.init_weights, cached, marker)


def test_named_model_zoo_schemes_go_through_it(hostile, hub, monkeypatch):
    """open-mmlab:// and mmcls:// resolve through mmengine's tables to a
    URL that the safe loader reads; s3:// and pavi:// are refused."""
    from mmengine.runner import checkpoint as mm_ckpt
    _, marker = hostile
    url = 'https://example.org/zoo/net.pth'
    monkeypatch.setattr(mm_ckpt, 'get_external_models', lambda: {'n': url})
    monkeypatch.setattr(mm_ckpt, 'get_mmcls_models', lambda: {'n': url})
    cached = str(hub / 'net.pth')
    for name in ('open-mmlab://n', 'openmmlab://n', 'mmcls://n'):
        _refused(lambda: load_checkpoint(Toy(), name), cached, marker)
    for name in ('s3://bucket/net.pth', 'pavi://net.pth'):
        with pytest.raises(UnsafeCheckpointError, match=name):
            load_checkpoint(Toy(), name)


def test_truncated_and_foreign_files_name_the_file(truncated, tmp_path):
    with pytest.raises(CheckpointLoadError) as info:
        load_checkpoint_file(truncated)
    assert truncated in str(info.value) and 'truncated' in str(info.value)
    runner = _runner(tmp_path, 'truncated', load_from=truncated)
    with pytest.raises(CheckpointLoadError, match='cut.pth'):
        runner.load_or_resume()
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    with pytest.raises(CheckpointLoadError, match='notes.pth'):
        load_checkpoint_file(str(text))
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        load_checkpoint_file(str(tmp_path / 'absent.pth'))


def test_safe_checkpoints_load(tmp_path):
    model = Toy()
    path = str(tmp_path / 'ok.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, path)
    assert load_checkpoint_file(path)['meta'] == {'epoch': 1}
    other = Toy()
    assert load_checkpoint_strict(other, path)['meta'] == {'epoch': 1}
    assert torch.equal(other.fc.weight, model.fc.weight)
    runner = _runner(tmp_path, 'safe', load_from=path)
    runner.load_or_resume()
    assert torch.equal(runner.model.fc.weight, model.fc.weight)


def test_another_models_checkpoint_is_refused_strictly(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': torch.nn.Conv2d(2, 3, 1).state_dict()}, path)
    with pytest.raises(ValueError, match='other.pth.*does not match'):
        load_checkpoint_strict(Toy(), path)
    # load_from and --resume: refused by the hook, from the one load.
    loads = []
    real = checkpoint_safety.load_checkpoint_file

    def counted(*args, **kwargs):
        loads.append(args[0])
        return real(*args, **kwargs)

    for resume in (False, True):
        loads.clear()
        runner = _runner(tmp_path, f'other_{resume}', load_from=path,
                         resume=resume,
                         custom_hooks=[CheckpointMatchHook()])
        checkpoint_safety.load_checkpoint_file = counted
        try:
            with pytest.raises(ValueError, match='other.pth.*does not match'):
                runner.load_or_resume()
        finally:
            checkpoint_safety.load_checkpoint_file = real
        assert loads == [path]
