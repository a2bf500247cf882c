"""tools/make_relation_labels.py: atomic, resumable, clear errors."""
import importlib.util
import os
import os.path as osp
import time

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.fileio import StaleOutputError
from rpnet_mmseg.refine import make_relation_label

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAMES = ['a_0', 'a_1', 'a_2', 'a_3']
H, W = 24, 30


def _tool():
    spec = importlib.util.spec_from_file_location(
        'make_relation_labels', osp.join(REPO, 'tools',
                                         'make_relation_labels.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cam(rng, keys, shape=(H, W)):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    maps = []
    for _ in keys:
        cy, cx = rng.uniform(4, shape[0] - 4), rng.uniform(4, shape[1] - 4)
        maps.append(np.exp(-((yy - cy)**2 + (xx - cx)**2) / 40.0))
    high_res = np.asarray(maps, np.float32).reshape(len(keys), *shape)
    return dict(
        keys=np.asarray(keys, np.int64),
        cam=high_res[:, ::4, ::4].copy(),
        high_res=high_res)


def _read_cam(path):
    """The arrays of a CAM file, read with plain numpy and no pickle."""
    with np.load(path, allow_pickle=False) as f:
        return dict(f)


@pytest.fixture
def data(tmp_path):
    """Four images with CAMs, a split, cls_labels.npz and a config."""
    rng = np.random.default_rng(0)
    root = tmp_path / 'data'
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    cls_labels = {}
    for i, name in enumerate(NAMES):
        img = rng.integers(0, 255, (H, W, 3)).astype(np.uint8)
        img[6:16, 8:20] = (250, 20, 20)
        Image.fromarray(img).save(root / 'JPEGImages' / f'{name}.jpg')
        keys = [i % 3] if i % 2 else [0, 2]
        vec = np.zeros(5, np.float32)
        vec[keys] = 1
        cls_labels[name] = vec
        np.savez(cam_dir / f'{name}.npz', **_cam(rng, keys))
    np.savez(root / 'cls_labels.npz', names=np.array(list(cls_labels)),
             labels=np.stack(list(cls_labels.values())))
    (root / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(
        '\n'.join(NAMES) + '\n')
    out_dir = tmp_path / 'relation_labels'
    config = tmp_path / 'rl_config.py'
    config.write_text(f'''
cam_dir = {str(cam_dir)!r}
relation_label_dir = {str(out_dir)!r}
relation_label_cfg = dict(
    data_root={str(root)!r},
    ann_file='ImageSets/Segmentation/train.txt',
    img_dir='JPEGImages',
    img_suffix='.jpg',
    cls_label_file='cls_labels.npz',
    cam_dir=None,
    out_dir=None,
    fg_thresh=0.30,
    bg_thresh=0.05,
    crf=dict(num_iters=3),
    nproc=1)
''')
    return dict(root=root, cam_dir=cam_dir, out_dir=out_dir, config=config)


def _read_pngs(out_dir):
    return {
        name: np.array(Image.open(osp.join(out_dir, name + '.png')))
        for name in NAMES
    }


def test_writes_one_png_per_image(data):
    counts = _tool().main([str(data['config'])])
    assert counts == dict(total=4, written=4, skipped=0)
    files = sorted(os.listdir(data['out_dir']))
    assert files == ['.rpnet_stage.json', '.rpnet_written.rank0.txt'] + [
        n + '.png' for n in NAMES
    ]
    for name, label in _read_pngs(data['out_dir']).items():
        img = np.array(
            Image.open(data['root'] / 'JPEGImages' / f'{name}.jpg'))
        cam = _read_cam(data['cam_dir'] / f'{name}.npz')
        expected = make_relation_label(img, cam, num_iters=3)
        np.testing.assert_array_equal(label, expected)
        assert set(np.unique(label)) <= {0, 1, 2, 3, 255}


def test_resume_after_a_kill(data):
    tool = _tool()
    tool.main([str(data['config'])])
    first = _read_pngs(data['out_dir'])
    out = data['out_dir']
    kept = {n: os.stat(out / f'{n}.png').st_mtime_ns for n in NAMES[2:]}
    # A killed run: two labels never written, one temporary file left by a
    # dead writer (an hour old).
    for name in NAMES[:2]:
        os.remove(out / f'{name}.png')
    stale = out / '.a_0.png.tmp.999999'
    stale.write_bytes(b'partial')
    old = time.time() - 3600
    os.utime(stale, (old, old))
    counts = tool.main([str(data['config'])])
    assert counts == dict(total=4, written=2, skipped=2)
    assert not stale.exists()
    second = _read_pngs(out)
    for name in NAMES:
        np.testing.assert_array_equal(first[name], second[name])
    for name, mtime in kept.items():  # finished files are not rewritten
        assert os.stat(out / f'{name}.png').st_mtime_ns == mtime
    # Nothing left to do.
    assert tool.main([str(data['config'])])['written'] == 0


def test_worker_processes_write_the_same_files(data):
    tool = _tool()
    tool.main([str(data['config'])])
    first = _read_pngs(data['out_dir'])
    other = data['out_dir'].parent / 'relation_labels_2proc'
    counts = tool.main([
        str(data['config']), '--cfg-options', 'relation_label_cfg.nproc=2',
        f'relation_label_cfg.out_dir={other}'
    ])
    assert counts['written'] == 4
    second = _read_pngs(other)
    for name in NAMES:
        np.testing.assert_array_equal(first[name], second[name])


def test_other_parameters_do_not_mix(data):
    tool = _tool()
    tool.main([str(data['config'])])
    with pytest.raises(StaleOutputError, match='relation_labels'):
        tool.main([
            str(data['config']), '--cfg-options',
            'relation_label_cfg.fg_thresh=0.4'
        ])
    counts = tool.main([
        str(data['config']), '--cfg-options',
        'relation_label_cfg.fg_thresh=0.4',
        'relation_label_cfg.on_stale=overwrite'
    ])
    assert counts['written'] == 4


def test_overwrite_keeps_files_the_tool_did_not_write(data):
    tool = _tool()
    tool.main([str(data['config'])])
    out = data['out_dir']
    (out / 'users_mask.png').write_bytes(b'not ours')
    overwrite = [
        str(data['config']), '--cfg-options',
        'relation_label_cfg.fg_thresh=0.4',
        'relation_label_cfg.on_stale=overwrite'
    ]
    with pytest.raises(StaleOutputError) as info:
        tool.main(overwrite)
    assert str(out) in str(info.value) and 'users_mask.png' in str(info.value)
    assert (out / 'users_mask.png').read_bytes() == b'not ours'
    assert len(list(out.glob('*.png'))) == 5  # nothing deleted
    (out / 'users_mask.png').rename(out.parent / 'users_mask.png')
    assert tool.main(overwrite)['written'] == 4


def test_missing_cam_file(data):
    os.remove(data['cam_dir'] / 'a_2.npz')
    with pytest.raises(FileNotFoundError, match='a_2.npz'):
        _tool().main([str(data['config'])])
    assert not data['out_dir'].exists()  # checked before anything is written


def test_cam_with_wrong_class_keys(data):
    cam = _read_cam(data['cam_dir'] / 'a_1.npz')
    cam['keys'] = np.array([4])
    np.savez(data['cam_dir'] / 'a_1.npz', **cam)
    with pytest.raises(ValueError, match=r'a_1\.npz.*CAM keys \[4\]'):
        _tool().main([str(data['config'])])


def test_cam_without_high_res(data):
    cam = _read_cam(data['cam_dir'] / 'a_3.npz')
    del cam['high_res']
    np.savez(data['cam_dir'] / 'a_3.npz', **cam)
    with pytest.raises(ValueError, match=r'a_3\.npz.*high_res'):
        _tool().main([str(data['config'])])


def test_cam_of_the_wrong_size(data):
    rng = np.random.default_rng(5)
    np.savez(data['cam_dir'] / 'a_0.npz',
             **_cam(rng, [0, 2], shape=(H, W + 2)))
    with pytest.raises(ValueError, match=r'a_0\.npz.*high_res'):
        _tool().main([str(data['config'])])


def test_irn_format_inputs_give_the_same_labels(data, tmp_path):
    """IRN's NAME.npy CAMs and cls_labels.npy, read in place of .npz."""
    _tool().main([str(data['config'])])
    want = _read_pngs(data['out_dir'])
    for name in NAMES:
        path = data['cam_dir'] / f'{name}.npz'
        cam = _read_cam(path)
        os.remove(path)
        np.save(data['cam_dir'] / f'{name}.npy', cam,
                allow_pickle=True)  # IRN's format
    labels_path = data['root'] / 'cls_labels.npz'
    with np.load(labels_path) as f:
        labels = dict(zip(f['names'].tolist(), f['labels']))
    os.remove(labels_path)
    np.save(data['root'] / 'cls_labels.npy', labels, allow_pickle=True)
    out = tmp_path / 'from_irn_files'
    _tool().main([str(data['config']), '--cfg-options',
                  f'relation_label_dir={out}'])
    got = _read_pngs(out)
    for name in NAMES:
        np.testing.assert_array_equal(got[name], want[name])


def test_hostile_irn_files_are_refused(data, tmp_path):
    from rpnet_mmseg.fileio import RefusedGlobalError

    marker = tmp_path / 'MARKER'

    class RunsCommand:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    os.remove(data['root'] / 'cls_labels.npz')
    labels_file = data['root'] / 'cls_labels.npy'
    np.save(labels_file, {'a_0': RunsCommand()}, allow_pickle=True)
    with pytest.raises(RefusedGlobalError, match=str(labels_file)):
        _tool().main([str(data['config'])])
    os.remove(labels_file)
    np.save(labels_file, {n: np.ones(5, np.float32) for n in NAMES},
            allow_pickle=True)
    os.remove(data['cam_dir'] / 'a_1.npz')
    cam_file = data['cam_dir'] / 'a_1.npy'
    np.save(cam_file, {'keys': RunsCommand()}, allow_pickle=True)
    with pytest.raises(RefusedGlobalError, match=str(cam_file)):
        _tool().main([str(data['config']), '--cfg-options',
                      'relation_label_cfg.cls_label_file=None'])
    assert not marker.exists()


def test_config_errors(data, tmp_path):
    config = tmp_path / 'empty.py'
    config.write_text('x = 1\n')
    with pytest.raises(KeyError, match='relation_label_cfg'):
        _tool().main([str(config)])
    with pytest.raises(KeyError, match='unknown'):
        _tool().main([
            str(data['config']), '--cfg-options', 'relation_label_cfg.foo=1'
        ])
