"""fileio.atomic: whole files or nothing, stale temporary files."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from rpnet_mmseg.fileio import (atomic_write, remove_stale_tmp_files,
                                save_npz_atomic)
from rpnet_mmseg.fileio import atomic as atomic_module


def test_atomic_write_replaces_whole_file(tmp_path):
    path = str(tmp_path / 'x.bin')
    atomic_write(path, lambda f: f.write(b'old'))
    atomic_write(path, lambda f: f.write(b'new'))
    assert open(path, 'rb').read() == b'new'
    assert os.listdir(tmp_path) == ['x.bin']


def test_atomic_write_creates_the_folder(tmp_path):
    path = tmp_path / 'a' / 'b' / 'x.bin'
    atomic_write(str(path), lambda f: f.write(b'1'))
    assert path.read_bytes() == b'1'


@pytest.mark.parametrize('error', [OSError('disk full'), KeyboardInterrupt])
def test_failed_write_keeps_the_old_file(tmp_path, error):
    path = str(tmp_path / 'x.bin')
    atomic_write(path, lambda f: f.write(b'old'))

    def broken(f):
        f.write(b'partial')
        raise error

    with pytest.raises(type(error) if isinstance(error, Exception) else error):
        atomic_write(path, broken)
    assert open(path, 'rb').read() == b'old'
    assert os.listdir(tmp_path) == ['x.bin']


def test_failed_npz_write_leaves_nothing(tmp_path, monkeypatch):

    def broken_savez(f, **arrays):
        f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(atomic_module.np, 'savez', broken_savez)
    with pytest.raises(OSError, match='disk full'):
        save_npz_atomic(str(tmp_path / 'a.npz'), {'keys': np.zeros(1)})
    assert os.listdir(tmp_path) == []


def test_save_npz_round_trip_without_pickle(tmp_path):
    arrays = {'keys': np.array([3, 1]), 'cam': np.ones((2, 2, 2), np.float32),
              'names': np.array(['a b', 'ü/\\x'])}
    save_npz_atomic(str(tmp_path / 'a.npz'), arrays)
    with np.load(tmp_path / 'a.npz', allow_pickle=False) as back:
        assert sorted(back.files) == ['cam', 'keys', 'names']
        np.testing.assert_array_equal(back['keys'], [3, 1])
        np.testing.assert_array_equal(back['cam'], arrays['cam'])
        assert back['names'].tolist() == ['a b', 'ü/\\x']


def test_save_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match=r"a\.npz.*'cam'.*object"):
        save_npz_atomic(str(tmp_path / 'a.npz'),
                        {'keys': np.zeros(1), 'cam': np.array([{}, 1])})
    assert os.listdir(tmp_path) == []


def _dead_pid():
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_remove_stale_tmp_files(tmp_path):
    dead = _dead_pid()
    old = time.time() - 3600
    paths = {
        'dead_old': tmp_path / f'.a.npy.tmp.{dead}',
        'dead_young': tmp_path / f'.b.npy.tmp.{dead}',
        'alive_old': tmp_path / f'.c.npy.tmp.{os.getppid()}',
        'finished': tmp_path / 'd.npy',
        'other_hidden': tmp_path / '.rpnet_stage.json',
    }
    for path in paths.values():
        path.write_bytes(b'x')
    for key in ('dead_old', 'alive_old', 'finished', 'other_hidden'):
        os.utime(paths[key], (old, old))
    removed = remove_stale_tmp_files(str(tmp_path))
    assert removed == [str(paths['dead_old'])]
    assert sorted(os.listdir(tmp_path)) == sorted(p.name
                                                  for k, p in paths.items()
                                                  if k != 'dead_old')
    # min_age_s=0: the young file of the dead writer goes too.
    assert remove_stale_tmp_files(
        str(tmp_path), min_age_s=0) == [str(paths['dead_young'])]
    assert remove_stale_tmp_files(str(tmp_path / 'missing')) == []


def test_stale_random_temporary_names_are_recognised(tmp_path):
    """``.NAME.tmp.PID.RANDOM`` (a writer whose first name was taken) is
    cleaned like ``.NAME.tmp.PID``; names merely alike are kept."""
    dead = _dead_pid()
    stale = tmp_path / f'.a.npy.tmp.{dead}.0123abcd'
    alive = tmp_path / f'.b.npy.tmp.{os.getppid()}.0123abcd'
    others = [tmp_path / f'.c.npy.tmp.{dead}.npy', tmp_path / 'e.tmp.1']
    for path in [stale, alive] + others:
        path.write_bytes(b'x')
    assert remove_stale_tmp_files(str(tmp_path), min_age_s=0) == [str(stale)]
    assert sorted(os.listdir(tmp_path)) == sorted(
        p.name for p in [alive] + others)


def test_taken_temporary_name_gets_a_random_one(tmp_path, monkeypatch):
    """Where ``.NAME.tmp.PID`` exists, another new file is written, and the
    existing one is neither written nor removed."""
    taken = tmp_path / f'.x.bin.tmp.{os.getpid()}'
    taken.write_bytes(b'someone else')
    used = []
    real_replace = os.replace

    def replace(src, dst):
        used.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(atomic_module.os, 'replace', replace)
    atomic_write(str(tmp_path / 'x.bin'), lambda f: f.write(b'new'))
    assert (tmp_path / 'x.bin').read_bytes() == b'new'
    assert taken.read_bytes() == b'someone else'
    assert len(used) == 1 and used[0].startswith(taken.name + '.')
    assert atomic_module._TMP_PATTERN.match(used[0])['pid'] == str(
        os.getpid())


def test_save_json_atomic(tmp_path):
    import json

    from rpnet_mmseg.fileio import save_json_atomic
    path = tmp_path / 'sub' / 'report.json'
    save_json_atomic(str(path), {'mIoU': np.float64(61.5)}, default=float)
    assert json.loads(path.read_text()) == {'mIoU': 61.5}
    assert path.read_text().startswith('{\n  "mIoU"')  # indented
    with pytest.raises(TypeError):  # not serialisable: the old file stays
        save_json_atomic(str(path), {'x': object()})
    assert json.loads(path.read_text()) == {'mIoU': 61.5}
    assert os.listdir(path.parent) == ['report.json']


@pytest.mark.parametrize('error, alive', [
    (ProcessLookupError, False),  # reaped between kill(0) and the read
    (FileNotFoundError, False),
    (PermissionError, True),  # procfs unreadable: kill(0) said it runs
])
def test_pid_alive_when_proc_cannot_be_read(monkeypatch, error, alive):
    assert atomic_module.pid_alive(os.getpid())

    def unreadable(path, *args, **kwargs):
        raise error(path)

    monkeypatch.setattr(atomic_module, 'open', unreadable, raising=False)
    assert atomic_module.pid_alive(os.getpid()) is alive
