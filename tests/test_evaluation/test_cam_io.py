"""cam_io: loading and validating CAM files, reading palette masks."""
import os

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.evaluation.cam_io import (atomic_write, load_cam, read_mask,
                                           save_npy_atomic)


def test_save_and_load_round_trip(tmp_path, toy):
    cam_dict, mask = toy['a']
    cam_dict['keys'] = cam_dict['keys'].astype(np.int32)
    path = str(tmp_path / 'sub' / 'a.npy')
    save_npy_atomic(path, cam_dict)
    assert os.listdir(tmp_path / 'sub') == ['a.npy']
    loaded = load_cam(path, image_shape=mask.shape, required=('high_res', ))
    assert loaded['keys'].dtype == np.int64
    np.testing.assert_array_equal(loaded['high_res'], cam_dict['high_res'])
    # IRN tools read the same file with plain numpy.
    raw = np.load(path, allow_pickle=True).item()
    assert set(raw) == {'keys', 'cam', 'high_res'}


def test_atomic_write_replaces_whole_file(tmp_path):
    path = str(tmp_path / 'x.bin')
    atomic_write(path, lambda f: f.write(b'old'))
    atomic_write(path, lambda f: f.write(b'new'))
    assert open(path, 'rb').read() == b'new'
    assert os.listdir(tmp_path) == ['x.bin']


def test_load_errors_name_the_file(tmp_path, toy):
    cam_dict, mask = toy['a']
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
    bad = dict(cam_dict, keys=np.array([0]))
    np.save(tmp_path / 'k.npy', bad)
    with pytest.raises(ValueError, match='k.npy.*K = len\\(keys\\) = 1'):
        load_cam(str(tmp_path / 'k.npy'))
    nan = dict(cam_dict)
    nan['high_res'] = cam_dict['high_res'].copy()
    nan['high_res'][0, 0, 0] = np.nan
    np.save(tmp_path / 'nan.npy', nan)
    with pytest.raises(ValueError, match='nan.npy.*NaN'):
        load_cam(str(tmp_path / 'nan.npy'))


def test_read_mask_reads_palette_indices(tmp_path, toy, png_writer):
    mask = toy['a'][1]
    png_writer(str(tmp_path / 'm.png'), mask)
    with Image.open(tmp_path / 'm.png') as img:
        assert img.mode == 'P'
        # The colours differ from the ids: class 1 is drawn (128, 0, 0).
        assert img.convert('RGB').getpixel((0, 0)) == (128, 0, 0)
    np.testing.assert_array_equal(read_mask(str(tmp_path / 'm.png')), mask)


def test_read_mask_rejects_rgb(tmp_path):
    Image.new('RGB', (2, 2)).save(tmp_path / 'rgb.png')
    with pytest.raises(ValueError, match='rgb.png.*mode RGB'):
        read_mask(str(tmp_path / 'rgb.png'))
