"""fileio.cam_format: the CAM .npz format, IRN's .npy, hostile files."""
import os

import numpy as np
import pytest
import torch

from rpnet_mmseg.fileio import (CAM_SUFFIX, LEGACY_CAM_SUFFIX,
                                RefusedGlobalError, cam_path, load_cam,
                                save_cam, validate_cam_dict)


def toy_cam():
    """A 2-class CAM dict of a 4 x 4 image and its mask."""
    high_res = np.arange(32, dtype=np.float32).reshape(2, 4, 4) / 31
    return {
        'keys': np.array([0, 1], dtype=np.int32),
        'cam': high_res[:, ::2, ::2].copy(),
        'high_res': high_res,
    }, np.zeros((4, 4), np.int64)


class _RunsCommand:
    """Pickles as a call of ``os.system`` (what a hostile file holds)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_cam_path_prefers_npz_and_falls_back_to_irn_npy(tmp_path):
    assert (CAM_SUFFIX, LEGACY_CAM_SUFFIX) == ('.npz', '.npy')
    assert cam_path('/x/cams', '2007_000032') == '/x/cams/2007_000032.npz'
    (tmp_path / 'a.npy').write_bytes(b'')
    assert cam_path(str(tmp_path), 'a') == str(tmp_path / 'a.npy')
    (tmp_path / 'a.npz').write_bytes(b'')
    assert cam_path(str(tmp_path), 'a') == str(tmp_path / 'a.npz')
    assert cam_path(str(tmp_path), 'b') == str(tmp_path / 'b.npz')


def test_save_and_load_round_trip(tmp_path):
    cam_dict, mask = toy_cam()
    path = str(tmp_path / 'sub' / 'a.npz')
    save_cam(path, cam_dict)
    assert os.listdir(tmp_path / 'sub') == ['a.npz']
    loaded = load_cam(path, image_shape=mask.shape, required=('high_res', ))
    assert loaded['keys'].dtype == np.int64
    assert loaded['high_res'].dtype == np.float32
    np.testing.assert_array_equal(loaded['high_res'], cam_dict['high_res'])
    # Plain numpy reads the file without pickle, under IRN's names.
    with np.load(path, allow_pickle=False) as raw:
        assert sorted(raw.files) == ['cam', 'high_res', 'keys']
        assert raw['keys'].dtype == np.int64 and raw['keys'].shape == (2, )
        assert raw['cam'].dtype == np.float32
        np.testing.assert_array_equal(raw['cam'], cam_dict['cam'])


def test_save_refuses_what_is_not_a_cam(tmp_path):
    cam_dict, _ = toy_cam()
    with pytest.raises(ValueError, match=r'x\.npz.*unknown CAM arrays'):
        save_cam(str(tmp_path / 'x.npz'), dict(cam_dict, extra=np.zeros(1)))
    with pytest.raises(ValueError, match=r'x\.npz.*K = len\(keys\) = 1'):
        save_cam(str(tmp_path / 'x.npz'), dict(cam_dict, keys=np.array([0])))
    assert os.listdir(tmp_path) == []


def test_load_errors_name_the_file(tmp_path):
    cam_dict, _ = toy_cam()
    with pytest.raises(FileNotFoundError, match='nothere.npz'):
        load_cam(str(tmp_path / 'nothere.npz'))
    (tmp_path / 'junk.npz').write_bytes(b'not numpy')
    with pytest.raises(ValueError, match='junk.npz'):
        load_cam(str(tmp_path / 'junk.npz'))
    np.savez(tmp_path / 'nokeys.npz', cam=cam_dict['cam'])
    with pytest.raises(ValueError, match='nokeys.npz.*"keys"'):
        load_cam(str(tmp_path / 'nokeys.npz'))
    save_cam(str(tmp_path / 'small.npz'), cam_dict)
    with pytest.raises(ValueError, match=r'small.npz.*\(4, 4\).*\(5, 4\)'):
        load_cam(str(tmp_path / 'small.npz'), image_shape=(5, 4))
    with pytest.raises(ValueError, match='small.npz.*missing "mask"'):
        load_cam(str(tmp_path / 'small.npz'), required=('mask', ))
    np.savez(tmp_path / 'k.npz', **dict(cam_dict, keys=np.array([0])))
    with pytest.raises(ValueError, match='k.npz.*K = len\\(keys\\) = 1'):
        load_cam(str(tmp_path / 'k.npz'))
    nan = dict(cam_dict, high_res=cam_dict['high_res'].copy())
    nan['high_res'][0, 0, 0] = np.nan
    np.savez(tmp_path / 'nan.npz', **nan)
    with pytest.raises(ValueError, match='nan.npz.*NaN'):
        load_cam(str(tmp_path / 'nan.npz'))
    np.savez(tmp_path / 'text.npz', keys=np.array([0]),
             cam=np.array([[['a']]]))
    with pytest.raises(ValueError, match='text.npz.*"cam" must hold'):
        load_cam(str(tmp_path / 'text.npz'))
    np.save(tmp_path / 'arr.npy', np.zeros(3))
    with pytest.raises(ValueError, match='arr.npy.*dict'):
        load_cam(str(tmp_path / 'arr.npy'))


def test_irn_make_cam_file_still_loads(tmp_path):
    """A CAM as IRN's make_cam.py saves it: tensors for keys and cam."""
    label = torch.tensor([0., 1., 0., 1.])
    strided = torch.rand(2, 3, 4)
    high_res = np.random.default_rng(0).random((2, 9, 13)).astype(np.float32)
    path = tmp_path / '2007_000032.npy'
    np.save(path, {'keys': torch.nonzero(label)[:, 0], 'cam': strided,
                   'high_res': high_res}, allow_pickle=True)  # IRN's format
    found = cam_path(str(tmp_path), '2007_000032')
    assert found == str(path)
    loaded = load_cam(found, image_shape=(9, 13), required=('cam', ))
    assert loaded['keys'].dtype == np.int64
    assert loaded['keys'].tolist() == [1, 3]
    np.testing.assert_array_equal(loaded['cam'], strided.numpy())
    np.testing.assert_array_equal(loaded['high_res'], high_res)


def test_numpy_only_irn_file_still_loads(tmp_path):
    cam_dict, _ = toy_cam()
    np.save(tmp_path / 'a.npy', cam_dict, allow_pickle=True)  # IRN's format
    loaded = load_cam(str(tmp_path / 'a.npy'))
    for key, value in cam_dict.items():
        np.testing.assert_array_equal(loaded[key], value)


@pytest.mark.parametrize('field', ['keys', 'high_res'])
def test_hostile_npy_is_refused_and_nothing_runs(tmp_path, field):
    marker = tmp_path / 'MARKER'
    cam_dict, _ = toy_cam()
    cam_dict[field] = _RunsCommand(marker)
    path = tmp_path / 'cams' / 'evil.npy'
    path.parent.mkdir()
    np.save(path, cam_dict, allow_pickle=True)
    found = cam_path(str(path.parent), 'evil')
    refused = f'{os.system.__module__}.system'  # 'posix.system' on Linux
    with pytest.raises(RefusedGlobalError) as info:
        load_cam(found)
    assert str(path) in str(info.value) and f"'{refused}'" in str(info.value)
    assert info.value.global_name == refused
    assert not marker.exists()


def test_hostile_builtin_call_is_refused(tmp_path):

    class CallsEval:

        def __reduce__(self):
            return (eval, ('1 + 1', ))

    np.save(tmp_path / 'e.npy', {'keys': CallsEval()}, allow_pickle=True)
    with pytest.raises(RefusedGlobalError, match=r"e\.npy.*'builtins\.eval'"):
        load_cam(str(tmp_path / 'e.npy'))


def test_pickle_inside_npz_is_not_loaded(tmp_path):
    marker = tmp_path / 'MARKER'
    cam_dict, _ = toy_cam()
    np.savez(tmp_path / 'evil.npz', keys=cam_dict['keys'],
             cam=np.array([_RunsCommand(marker)], dtype=object))
    with pytest.raises(ValueError, match='evil.npz'):
        load_cam(str(tmp_path / 'evil.npz'))
    assert not marker.exists()


def test_validate_rejects_bad_keys():
    cam_dict, _ = toy_cam()
    with pytest.raises(ValueError, match='img.*integer'):
        validate_cam_dict(dict(cam_dict, keys=np.array([0.5, 1.])), 'img')
    with pytest.raises(ValueError, match='img.*>= 0'):
        validate_cam_dict(dict(cam_dict, keys=np.array([-1, 0])), 'img')


def test_raw_errors_become_errors_naming_the_file(tmp_path):
    # an IRN dict with a key that is no name (sorted() raised TypeError)
    path = str(tmp_path / 'odd.npy')
    np.save(path, {'keys': np.array([0]), 3: np.zeros(1)})
    with pytest.raises(ValueError, match=r'odd\.npy.*\[3\]'):
        load_cam(path)
    # a folder where the CAM file should be (IsADirectoryError)
    folder = tmp_path / 'x.npz'
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r'x\.npz: is a folder'):
        load_cam(str(folder))
