"""fileio.cam_format: loading and validating CAM files."""
import os

import numpy as np
import pytest

from rpnet_mmseg.fileio import (CAM_SUFFIX, cam_path, load_cam,
                                save_npy_atomic, validate_cam_dict)


def toy_cam():
    """A 2-class CAM dict of a 4 x 4 image and its mask."""
    high_res = np.arange(32, dtype=np.float32).reshape(2, 4, 4) / 31
    return {
        'keys': np.array([0, 1], dtype=np.int32),
        'cam': high_res[:, ::2, ::2].copy(),
        'high_res': high_res,
    }, np.zeros((4, 4), np.int64)


def test_cam_path():
    assert CAM_SUFFIX == '.npy'
    assert cam_path('/x/cams', '2007_000032') == '/x/cams/2007_000032.npy'


def test_save_and_load_round_trip(tmp_path):
    cam_dict, mask = toy_cam()
    path = str(tmp_path / 'sub' / 'a.npy')
    save_npy_atomic(path, cam_dict)
    assert os.listdir(tmp_path / 'sub') == ['a.npy']
    loaded = load_cam(path, image_shape=mask.shape, required=('high_res', ))
    assert loaded['keys'].dtype == np.int64
    assert loaded['high_res'].dtype == np.float32
    np.testing.assert_array_equal(loaded['high_res'], cam_dict['high_res'])
    # IRN tools read the same file with plain numpy.
    raw = np.load(path, allow_pickle=True).item()
    assert set(raw) == {'keys', 'cam', 'high_res'}


def test_load_errors_name_the_file(tmp_path):
    cam_dict, _ = toy_cam()
    with pytest.raises(FileNotFoundError, match='nothere.npy'):
        load_cam(str(tmp_path / 'nothere.npy'))
    (tmp_path / 'junk.npy').write_bytes(b'not numpy')
    with pytest.raises(ValueError, match='junk.npy'):
        load_cam(str(tmp_path / 'junk.npy'))
    np.save(tmp_path / 'arr.npy', np.zeros(3))
    with pytest.raises(ValueError, match='arr.npy.*dict'):
        load_cam(str(tmp_path / 'arr.npy'))
    np.save(tmp_path / 'small.npy', cam_dict)
    with pytest.raises(ValueError, match=r'small.npy.*\(4, 4\).*\(5, 4\)'):
        load_cam(str(tmp_path / 'small.npy'), image_shape=(5, 4))
    with pytest.raises(ValueError, match='small.npy.*missing "mask"'):
        load_cam(str(tmp_path / 'small.npy'), required=('mask', ))
    np.save(tmp_path / 'k.npy', dict(cam_dict, keys=np.array([0])))
    with pytest.raises(ValueError, match='k.npy.*K = len\\(keys\\) = 1'):
        load_cam(str(tmp_path / 'k.npy'))
    nan = dict(cam_dict, high_res=cam_dict['high_res'].copy())
    nan['high_res'][0, 0, 0] = np.nan
    np.save(tmp_path / 'nan.npy', nan)
    with pytest.raises(ValueError, match='nan.npy.*NaN'):
        load_cam(str(tmp_path / 'nan.npy'))


def test_validate_rejects_bad_keys():
    cam_dict, _ = toy_cam()
    with pytest.raises(ValueError, match='img.*integer'):
        validate_cam_dict(dict(cam_dict, keys=np.array([0.5, 1.])), 'img')
    with pytest.raises(ValueError, match='img.*>= 0'):
        validate_cam_dict(dict(cam_dict, keys=np.array([-1, 0])), 'img')
