"""Tests of tools/check_dataset.py on tiny generated data and broken copies."""
import importlib.util
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'check_dataset.py')
CLASSES = ('background', 'cat', 'dog', 'car')
# name -> foreground class ids (0-based); 'img_3' has no mask.
TRAIN = {'img_0': [0], 'img_1': [1], 'img_2': [0, 2], 'img_3': [2]}
VAL = {'val_0': [1], 'val_1': [0, 1]}
H, W = 20, 24

CONFIG = '''
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
data_root = {root!r}
metainfo = dict(classes={classes!r})
train_dataloader = dict(
    batch_size=2,
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 metainfo=metainfo, paired=True,
                 pipeline=[dict(type='LoadImageFromFile')]))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt',
                 metainfo=metainfo, test_mode=True, pipeline=[]))
test_dataloader = dict(
    batch_size=1,
    dataset=dict(type='ImageLevelSegDataset', data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 metainfo=metainfo, test_mode=True, pipeline=[]))
val_evaluator = dict(type='CAMWriter', output_dir={out!r})
test_evaluator = dict(type='CAMIoUMetric', cam_dir={cams!r})
'''


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # workers unpickle its functions
    spec.loader.exec_module(module)
    return module


def _build(root):
    """Images, masks, splits, cls_labels.npz and CAM files under root."""
    rng = np.random.default_rng(0)
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation',
                'cams'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    labels = {}
    for split, items in (('train', TRAIN), ('val', VAL)):
        for name, ids in items.items():
            Image.fromarray(
                rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(
                    osp.join(root, 'JPEGImages', name + '.jpg'))
            mask = np.zeros((H, W), dtype=np.uint8)
            for i, c in enumerate(ids):
                mask[2:10, 2 + 8 * i:8 + 8 * i] = c + 1
            mask[0] = 255
            if name != 'img_3':
                Image.fromarray(mask, mode='L').save(
                    osp.join(root, 'SegmentationClass', name + '.png'))
            vec = np.zeros(len(CLASSES) - 1, dtype=np.float32)
            vec[ids] = 1
            labels[name] = vec
            if split == 'train':
                cam = np.ones((len(ids), H, W), dtype=np.float32)
                np.savez(osp.join(root, 'cams', name + '.npz'),
                         keys=np.array(ids), high_res=cam)
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'),
                  'w') as f:
            f.write(''.join(n + '\n' for n in items))
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(list(labels)),
             labels=np.stack(list(labels.values())))


def _read_labels(root):
    """``{name: vector}`` of cls_labels.npz, read with plain numpy."""
    with np.load(osp.join(root, 'cls_labels.npz'), allow_pickle=False) as f:
        return dict(zip(f['names'].tolist(), f['labels']))


class _RunsCommand:
    """Pickles as a call of ``os.system`` (what a hostile file holds)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def data(tmp_path):
    root = str(tmp_path / 'data')
    _build(root)
    config = tmp_path / 'check_cfg.py'
    config.write_text(CONFIG.format(
        root=root, classes=CLASSES, cams=osp.join(root, 'cams'),
        out=str(tmp_path / 'written')))
    return root, str(config)


def test_passes_on_good_data(tool, data, capsys):
    root, config = data
    assert tool.main([config, '--load-cams']) == 0
    out = capsys.readouterr().out
    assert out.count('== ') == 3  # train, val, test
    # Per-class image counts of train (label vectors): cat 2, dog 1, car 2.
    assert 'images per class (label vectors): cat 2, dog 1, car 2' in out
    assert 'images per class (label vectors): cat 1, dog 2, car 0' in out
    assert 'masks / label maps in' in out and ': 3 of 4' in out
    assert 'checked against test' in out
    assert 'written by the run, not checked' in out
    assert 'no problems found' in out


def _corrupt_image(root):
    path = osp.join(root, 'JPEGImages', 'img_1.jpg')
    with open(path, 'rb') as f:
        head = f.read(200)
    with open(path, 'wb') as f:
        f.write(head)  # truncated JPEG
    return 'image does not decode', 'img_1.jpg'


def _missing_image(root):
    os.remove(osp.join(root, 'JPEGImages', 'val_1.jpg'))
    return 'missing image', 'val_1.jpg'


def _wrong_label_length(root):
    labels = _read_labels(root)
    labels['img_2'] = np.ones(5, dtype=np.float32)
    # only IRN's pickled dict can hold vectors of different lengths; it is
    # read in place of the missing cls_labels.npz
    os.remove(osp.join(root, 'cls_labels.npz'))
    np.save(osp.join(root, 'cls_labels.npy'), labels, allow_pickle=True)
    return 'label vector', "label of 'img_2'"


def _missing_label(root):
    labels = _read_labels(root)
    del labels['val_0']
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(list(labels)),
             labels=np.stack(list(labels.values())))
    return 'label vector', "image 'val_0'"


def _bad_mask_id(root):
    path = osp.join(root, 'SegmentationClass', 'img_0.png')
    mask = np.array(Image.open(path))
    mask[5, 5] = 7
    Image.fromarray(mask, mode='L').save(path)
    return 'mask has unknown class ids', 'img_0.png: values [7]'


def _mask_size(root):
    path = osp.join(root, 'SegmentationClass', 'val_0.png')
    Image.fromarray(np.zeros((H, W + 2), np.uint8), mode='L').save(path)
    return 'mask size differs from image', 'val_0.png is 26x20'


def _missing_cam(root):
    os.remove(osp.join(root, 'cams', 'img_2.npz'))
    return 'missing CAM file', 'img_2.npz'


def _bad_cam(root):
    np.savez(osp.join(root, 'cams', 'img_0.npz'), keys=np.array([0]),
             high_res=np.ones((1, H, W + 1), np.float32))
    return 'bad CAM file', 'img_0.npz'


@pytest.mark.parametrize('breaker', [
    _corrupt_image, _missing_image, _wrong_label_length, _missing_label,
    _bad_mask_id, _mask_size, _missing_cam, _bad_cam
])
def test_names_each_problem(tool, data, capsys, breaker):
    root, config = data
    kind, detail = breaker(root)
    assert tool.main([config, '--load-cams']) == 1
    out = capsys.readouterr().out
    problems = out[out.index('problem(s):'):]
    assert kind in problems and detail in problems


def test_irn_files_are_checked_as_they_are(tool, data, capsys):
    """IRN's cls_labels.npy and NAME.npy CAMs, read in place of .npz."""
    root, config = data
    labels = _read_labels(root)
    os.remove(osp.join(root, 'cls_labels.npz'))
    np.save(osp.join(root, 'cls_labels.npy'), labels, allow_pickle=True)
    cam = osp.join(root, 'cams', 'img_1')
    with np.load(cam + '.npz') as f:
        arrays = dict(f)
    os.remove(cam + '.npz')
    np.save(cam + '.npy', arrays, allow_pickle=True)  # IRN's format
    assert tool.main([config, '--load-cams']) == 0
    assert 'no problems found' in capsys.readouterr().out


@pytest.mark.parametrize('target', ['cls_labels', 'cam'])
def test_hostile_files_are_reported_and_never_run(tool, data, capsys,
                                                  tmp_path, target):
    root, config = data
    marker = tmp_path / 'MARKER'
    if target == 'cls_labels':
        labels = dict(_read_labels(root), img_0=_RunsCommand(marker))
        os.remove(osp.join(root, 'cls_labels.npz'))
        path = osp.join(root, 'cls_labels.npy')
        np.save(path, labels, allow_pickle=True)
    else:
        os.remove(osp.join(root, 'cams', 'img_0.npz'))
        path = osp.join(root, 'cams', 'img_0.npy')
        np.save(path, {'keys': _RunsCommand(marker)}, allow_pickle=True)
    assert tool.main([config, '--load-cams']) == 1
    out = capsys.readouterr().out
    problems = out[out.index('problem(s):'):]
    refused = f"refused to unpickle the global '{os.system.__module__}.system'"
    assert f'{path}: {refused}' in problems
    assert not marker.exists()


def test_every_problem_listed(tool, data, capsys):
    root, config = data
    _missing_image(root)
    _missing_cam(root)
    os.remove(osp.join(root, 'cams', 'img_0.npz'))
    assert tool.main([config]) == 1
    out = capsys.readouterr().out
    problems = out[out.index('problem(s):'):]
    assert 'missing CAM file (2)' in problems
    assert 'img_0.npz' in problems and 'img_2.npz' in problems
    # The dataset's own loading fails on the missing image, and says so.
    assert 'dataset refuses to load' in problems


def test_cfg_options_and_missing_split_file(tool, data, capsys):
    root, config = data
    assert tool.main([
        config, '--splits', 'val', '--cfg-options',
        'val_dataloader.dataset.ann_file=ImageSets/Segmentation/nope.txt'
    ]) == 1
    out = capsys.readouterr().out
    assert 'nope.txt' in out[out.index('problem(s):'):]


def test_demo_config_parses(tool):
    """The demo config's CAM inputs and writer outputs are found."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'rpnet',
                 'rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py'))
    assert set(tool.cam_inputs(cfg, ['train', 'test'])) <= {'test'}
    assert 'test_evaluator.output_dir' in [
        where for _, where in tool.writer_outputs(cfg)]


def test_data_root_option(tool, data, tmp_path, capsys):
    """--data-root points every dataset at another copy of the data."""
    import shutil
    root, config = data
    copy = str(tmp_path / 'copy')
    shutil.copytree(root, copy)
    os.remove(osp.join(copy, 'JPEGImages', 'img_0.jpg'))
    assert tool.main([config, '--splits', 'train']) == 0
    capsys.readouterr()
    assert tool.main([config, '--splits', 'train', '--data-root', copy]) == 1
    out = capsys.readouterr().out
    assert osp.join(copy, 'JPEGImages', 'img_0.jpg') in out


PSEUDO_CONFIG = '''
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
train_dataloader = dict(
    batch_size=2,
    dataset=dict(type='PseudoLabelSegDataset', data_root={root!r},
                 ann_file='ImageSets/Segmentation/train.txt',
                 data_prefix=dict(img_path='JPEGImages'),
                 pseudo_label_dir={labels!r}, skip_missing={skip!r},
                 metainfo=dict(classes={classes!r}), pipeline=[]))
'''


@pytest.mark.parametrize('skip', [False, True])
def test_pseudo_label_dataset_masks_required_unless_skipped(
        tool, data, tmp_path, capsys, skip):
    """The label-map folder and its requirement come from the dataset:
    img_3's missing map is a problem unless skip_missing; the counts per
    class come from the maps."""
    root, _ = data
    config = tmp_path / 'pseudo_cfg.py'
    config.write_text(PSEUDO_CONFIG.format(
        root=root, labels=osp.join(root, 'SegmentationClass'), skip=skip,
        classes=CLASSES))
    assert tool.main([str(config)]) == (0 if skip else 1)
    out = capsys.readouterr().out
    assert 'images per class (masks): cat 2, dog 1, car 1' in out
    if skip:
        assert 'no problems found' in out
    else:
        problems = out[out.index('problem(s):'):]
        assert 'missing mask / pseudo-label (1)' in problems
        assert osp.join(root, 'SegmentationClass', 'img_3.png') in problems
