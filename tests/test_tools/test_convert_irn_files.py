"""tools/dataset_converters/convert_irn_files.py: IRN's .npy -> .npz."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'convert_irn_files.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('convert_irn_files', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _RunsCommand:
    """Pickles as a call of ``os.system`` (what a hostile file holds)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _irn_cams(folder, names):
    """CAM files as IRN's make_cam.py writes them; returns their arrays."""
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    arrays = {}
    for i, name in enumerate(names):
        label = torch.zeros(4)
        label[[i % 4, (i + 1) % 4]] = 1
        high_res = rng.random((2, 9, 11)).astype(np.float32)
        cam = torch.from_numpy(high_res[:, ::4, ::4].copy())
        np.save(osp.join(folder, name + '.npy'), {
            'keys': torch.nonzero(label)[:, 0], 'cam': cam,
            'high_res': high_res}, allow_pickle=True)  # IRN's format
        arrays[name] = dict(keys=torch.nonzero(label)[:, 0].numpy(),
                            cam=cam.numpy(), high_res=high_res)
    return arrays


def test_cam_folder(tool, tmp_path, capsys):
    src, out = str(tmp_path / 'irn'), str(tmp_path / 'npz')
    arrays = _irn_cams(src, ['2007_000032', '2007_000039', 'b'])
    assert tool.main([src, '-o', out]) == 0
    assert sorted(os.listdir(out)) == [
        '2007_000032.npz', '2007_000039.npz', 'b.npz']
    for name, want in arrays.items():
        with np.load(osp.join(out, name + '.npz'), allow_pickle=False) as f:
            assert sorted(f.files) == ['cam', 'high_res', 'keys']
            assert f['keys'].dtype == np.int64
            for key, value in want.items():
                np.testing.assert_array_equal(f[key], value)
    assert '3 CAM files written, 0 kept, 0 failed' in capsys.readouterr().out
    # A second run keeps what exists.
    assert tool.main([src, '-o', out]) == 0
    assert '0 CAM files written, 3 kept' in capsys.readouterr().out


def test_hostile_cam_is_listed_and_nothing_runs(tool, tmp_path, capsys):
    src = str(tmp_path / 'irn')
    _irn_cams(src, ['a', 'b'])
    marker = tmp_path / 'MARKER'
    np.save(osp.join(src, 'evil.npy'), {'keys': _RunsCommand(marker)},
            allow_pickle=True)
    assert tool.main([src]) == 1  # next to the .npy files
    out = capsys.readouterr().out
    assert '2 CAM files written' in out and '1 failed' in out
    assert f"{osp.join(src, 'evil.npy')}: refused to unpickle the global " \
        f"'{os.system.__module__}.system'" in out
    assert not osp.exists(osp.join(src, 'evil.npz'))
    assert not marker.exists()


def test_cls_labels(tool, tmp_path):
    vectors = {2007000032: np.eye(20, dtype=np.float32)[4],
               2007000039: np.eye(20, dtype=np.float32)[19]}
    src = str(tmp_path / 'cls_labels.npy')
    np.save(src, {np.int32(k): v for k, v in vectors.items()},
            allow_pickle=True)  # as IRN ships it
    assert tool.main([src]) == 0
    with np.load(str(tmp_path / 'cls_labels.npz'), allow_pickle=False) as f:
        assert f['names'].tolist() == ['2007_000032', '2007_000039']
        np.testing.assert_array_equal(f['labels'], np.stack(
            list(vectors.values())))
    with pytest.raises(FileExistsError, match='cls_labels.npz'):
        tool.main([src])


def test_hostile_cls_labels_refused(tool, tmp_path):
    from rpnet_mmseg.fileio import RefusedGlobalError

    marker = tmp_path / 'MARKER'
    src = str(tmp_path / 'cls_labels.npy')
    np.save(src, {'a': _RunsCommand(marker)}, allow_pickle=True)
    with pytest.raises(RefusedGlobalError, match=src):
        tool.main([src])
    assert not marker.exists()
    assert not osp.exists(tmp_path / 'cls_labels.npz')
