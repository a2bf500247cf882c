"""Hostile files: each reader refuses them, naming the file, in bounded memory.

For each reader (``load_cam``, ``load_cls_labels``, the checkpoint loader)
the test writes files that once crashed the process or filled its memory:
a pickle that runs a command, an object array built from raw bytes (a
pointer the file chose), a zero-stride numpy view, a zero-stride torch
tensor, a deflate bomb; for the checkpoint loader each payload sits in
``meta``. One subprocess per reader reads them all and reports, per file,
the error; the test asserts no signal, an error naming the file, no command
run and a peak RSS under 1 GiB.
"""
import io
import json
import os
import os.path as osp
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.lib import format as npy_format

from rpnet_mmseg.fileio import load_cam

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RSS_LIMIT_KB = 1 << 20  # 1 GiB
BOMB_BYTES = 4 << 30  # what the bombs inflate to, over the 2 GiB cap


class RunsCommand:
    """Unpickled, it runs ``touch MARKER``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class ObjectArrayFromBytes:
    """Unpickled, ``ndarray((), 'O', buffer=...)``: a pointer from the file.
    """

    def __reduce__(self):
        return np.ndarray, ((), np.dtype('O'), b'AAAAAAAA')


class ZeroStrideView:
    """Unpickled, a 60000 x 60000 float32 view of 4 bytes (14.4 GB)."""

    def __reduce__(self):
        return np.ndarray, ((60000, 60000), np.dtype('f4'), b'\0' * 4, 0,
                            (0, 0))


def zero_stride_tensor():
    """A 60000 x 60000 tensor on a storage of one element."""
    return torch.zeros(1).expand(60000, 60000)


def _irn_npy(path, value):
    """``np.save`` of a dict, as IRN writes CAM and label files."""
    with open(path, 'wb') as f:
        npy_format.write_array_header_1_0(
            f, {'descr': '|O', 'fortran_order': False, 'shape': ()})
        pickle.dump(np.array(value, dtype=object), f, protocol=3)


def _deflate_bomb(path, member):
    """A small zip whose one ``.npy`` member inflates to 4 GiB."""
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED,
                         compresslevel=1) as archive:
        with archive.open(member, 'w', force_zip64=True) as f:
            npy_format.write_array_header_1_0(
                f, {'descr': '<f4', 'fortran_order': False,
                    'shape': (BOMB_BYTES // 4, )})
            for _ in range(BOMB_BYTES // len(chunk)):
                f.write(chunk)


def _checkpoint_bomb(path):
    """A torch.save checkpoint whose tensor data inflates to 4 GiB."""
    plain = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(4)}}, plain)
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(
            path, 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            if not info.filename.endswith('/data/0'):
                dst.writestr(info.filename, src.read(info))
                continue
            with dst.open(info.filename, 'w', force_zip64=True) as f:
                for _ in range(BOMB_BYTES // len(chunk)):
                    f.write(chunk)


PAYLOADS = {
    'command': lambda marker: RunsCommand(marker),
    'object_array': lambda marker: ObjectArrayFromBytes(),
    'zero_stride_numpy': lambda marker: ZeroStrideView(),
    'zero_stride_torch': lambda marker: zero_stride_tensor(),
}


@pytest.fixture(scope='module')
def hostile_files(tmp_path_factory):
    """reader -> {case: path}, and the marker the command would create."""
    root = tmp_path_factory.mktemp('hostile')
    marker = str(root / 'command_ran')
    files = {'load_cam': {}, 'load_cls_labels': {}, 'checkpoint': {}}
    for case, make in PAYLOADS.items():
        cam = str(root / f'cam_{case}.npy')
        _irn_npy(cam, {'keys': np.array([0]), 'cam': make(marker)})
        files['load_cam'][case] = cam
        labels = str(root / f'labels_{case}.npy')
        _irn_npy(labels, {'2007_000032': make(marker)})
        files['load_cls_labels'][case] = labels
        ckpt = str(root / f'ckpt_{case}.pth')
        torch.save({'state_dict': {'w': torch.zeros(2)},
                    'meta': {'payload': make(marker)}}, ckpt)
        files['checkpoint'][case] = ckpt
    bomb = str(root / 'bomb.npz')
    _deflate_bomb(bomb, 'cam.npy')
    files['load_cam']['deflate_bomb'] = bomb
    labels_bomb = str(root / 'labels_bomb.npz')
    _deflate_bomb(labels_bomb, 'labels.npy')
    files['load_cls_labels']['deflate_bomb'] = labels_bomb
    ckpt_bomb = str(root / 'ckpt_bomb.pth')
    _checkpoint_bomb(ckpt_bomb)
    files['checkpoint']['deflate_bomb'] = ckpt_bomb
    return files, marker


_READ_ALL = r'''
import json, sys
from rpnet_mmseg.engine import load_checkpoint_file
from rpnet_mmseg.fileio import load_cam, load_cls_labels
reader = {'load_cam': load_cam, 'load_cls_labels': load_cls_labels,
          'checkpoint': load_checkpoint_file}[sys.argv[1]]
for case, path in json.loads(sys.argv[2]).items():
    print('reading', case, flush=True)
    try:
        reader(path)
        error = None
    except Exception as e:
        error = f'{type(e).__name__}: {e}'
    print(json.dumps({'case': case, 'error': error}), flush=True)
# this process's peak (ru_maxrss would include the forking parent's)
with open('/proc/self/status') as f:
    peak = [line.split()[1] for line in f if line.startswith('VmHWM:')][0]
print(json.dumps({'maxrss_kb': int(peak)}))
'''


@pytest.mark.parametrize('reader', ['load_cam', 'load_cls_labels',
                                    'checkpoint'])
def test_hostile_files_are_refused_in_bounded_memory(hostile_files, reader):
    files, marker = hostile_files
    res = subprocess.run(
        [sys.executable, '-c', _READ_ALL, reader, json.dumps(files[reader])],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    # no signal (a segfault is -11), and every file reported
    assert res.returncode == 0, (res.returncode, res.stdout[-2000:],
                                 res.stderr[-3000:])
    lines = [json.loads(line) for line in res.stdout.splitlines()
             if line.startswith('{')]
    errors = {line['case']: line['error'] for line in lines if 'case' in line}
    assert set(errors) == set(files[reader])
    for case, error in errors.items():
        assert error is not None, f'{reader} accepted {case}'
        assert files[reader][case] in error, (case, error)
    assert not osp.exists(marker), 'a file ran a command'
    assert lines[-1]['maxrss_kb'] < RSS_LIMIT_KB, lines[-1]


def test_irn_make_cam_file_still_reads(tmp_path):
    """A CAM file written as IRN's make_cam.py writes it."""
    label = torch.tensor([0., 1., 0., 1.])
    strided = torch.rand(4, 6, 7)
    highres = torch.rand(4, 1, 30, 40)
    valid_cat = torch.nonzero(label)[:, 0]
    strided_cam = strided[valid_cat]
    strided_cam /= F.adaptive_max_pool2d(strided_cam, (1, 1)) + 1e-5
    highres_cam = highres[valid_cat][:, 0, :24, :32]  # a cropped view
    highres_cam /= F.adaptive_max_pool2d(highres_cam, (1, 1)) + 1e-5
    path = str(tmp_path / '2007_000032.npy')
    np.save(path, {'keys': valid_cat, 'cam': strided_cam.cpu(),
                   'high_res': highres_cam.cpu().numpy()})
    cam = load_cam(path)
    np.testing.assert_array_equal(cam['keys'], [1, 3])
    np.testing.assert_array_equal(cam['cam'], strided_cam.numpy())
    np.testing.assert_array_equal(cam['high_res'], highres_cam.numpy())
    assert cam['high_res'].shape == (2, 24, 32)
