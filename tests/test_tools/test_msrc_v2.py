"""Tests of tools/dataset_converters/msrc_v2.py on a tiny MSRC-v2 tree."""
import importlib.util
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'msrc_v2.py')

# MSRC-v2 colours of the labels used here (from the release's documented
# table), written out independently of the converter.
RGB = {
    'void': (0, 0, 0), 'building': (128, 0, 0), 'grass': (0, 128, 0),
    'cow': (0, 0, 128), 'horse': (128, 0, 128), 'sky': (128, 128, 128),
    'face': (192, 128, 0), 'body': (64, 64, 0), 'road': (128, 64, 128),
    'dog': (128, 192, 128), 'bird': (0, 64, 0), 'chair': (0, 192, 0),
    'sheep': (0, 128, 128)
}
# MSRC-v2 label ids (for the cleaned-up MAT-files).
MSRC_ID = {'void': 0, 'building': 1, 'grass': 2, 'cow': 4, 'horse': 5,
           'sheep': 6, 'sky': 7, 'face': 11, 'road': 19, 'bird': 16,
           'chair': 18, 'dog': 21, 'body': 22}
# The demo's class ids.
CLS = {'background': 0, 'bird': 3, 'chair': 8, 'cow': 9, 'dog': 10,
       'person': 12, 'sheep': 13, 'void': 255}
H, W = 12, 16


def _load_tool():
    spec = importlib.util.spec_from_file_location('msrc_v2_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # workers unpickle its functions
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return _load_tool()


def _scenes():
    """name -> (MSRC label map as names, expected demo id map)."""
    scenes = {}

    def blank(top='sky', bottom='grass'):
        labels = np.full((H, W), bottom, dtype=object)
        labels[:4] = top
        return labels

    # A cow on grass under sky, a void border.
    lab = blank()
    lab[5:10, 3:9] = 'cow'
    lab[0, :] = 'void'
    scenes['1_1_s'] = lab
    # A person (face + body) and a dog on a road; a horse patch.
    lab = blank('building', 'road')
    lab[2:4, 2:5] = 'face'
    lab[4:10, 2:5] = 'body'
    lab[7:11, 8:13] = 'dog'
    lab[0:2, 12:16] = 'horse'
    scenes['2_1_s'] = lab
    # Stuff only: dropped.
    scenes['3_1_s'] = blank('sky', 'building')
    # A horse on grass: dropped (horse is void).
    lab = blank()
    lab[4:9, 4:12] = 'horse'
    scenes['3_2_s'] = lab
    # A bird on a chair, in val.
    lab = blank('building', 'grass')
    lab[1:5, 5:9] = 'bird'
    lab[5:11, 3:12] = 'chair'
    scenes['4_1_s'] = lab
    return scenes


def _expected(labels):
    """Demo class ids of an MSRC label-name map, by the mapping's rules."""
    out = np.zeros(labels.shape, dtype=np.uint8)
    for (y, x), name in np.ndenumerate(labels):
        if name in ('void', 'horse'):
            out[y, x] = 255
        elif name in ('face', 'body'):
            out[y, x] = CLS['person']
        elif name in CLS:
            out[y, x] = CLS[name]
        else:  # stuff
            out[y, x] = 0
    return out


def _write_tree(root, scenes, splits, mats=None):
    """Write Images/, GroundTruth/ (and newsegmentations_mats/), splits/."""
    rng = np.random.default_rng(0)
    for sub in ('Images', 'GroundTruth', 'splits'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for name, labels in scenes.items():
        pixels = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(osp.join(root, 'Images', name + '.bmp'))
        colours = np.array([[RGB[n] for n in row] for row in labels],
                           dtype=np.uint8)
        Image.fromarray(colours).save(
            osp.join(root, 'GroundTruth', name + '_GT.bmp'))
    for split, names in splits.items():
        with open(osp.join(root, 'splits', split + '.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
    if mats:
        from scipy.io import savemat
        os.makedirs(osp.join(root, 'mats'), exist_ok=True)
        for name, labels in mats.items():
            present = sorted({MSRC_ID[n] for n in labels.ravel()} - {0})
            seg = np.zeros((H, W), dtype=np.uint8)  # 0 = unlabelled
            for (y, x), n in np.ndenumerate(labels):
                if MSRC_ID[n]:
                    seg[y, x] = present.index(MSRC_ID[n]) + 1
            savemat(osp.join(root, 'mats', name + '_GT.mat'),
                    dict(newseg=seg,
                         newlabels=np.array([present], dtype=np.uint8)))


SPLITS = {
    'train': ['1_1_s', '2_1_s', '3_1_s'],
    'val': ['4_1_s'],
    'train_dev': ['1_1_s'],
    'val_dev': ['4_1_s'],
}


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / 'MSRC_ObjCategImageDatabase_v2')
    scenes = _scenes()
    _write_tree(root, scenes, SPLITS)
    return root, scenes


def _run(tool, root, out, **kw):
    return tool.convert(root, out, split_dir=osp.join(root, 'splits'), **kw)


def test_convert_tiny_tree(tool, tree, tmp_path, capsys):
    root, scenes = tree
    out = str(tmp_path / 'msrc_voc')
    _run(tool, root, out)
    kept = ['1_1_s', '2_1_s', '4_1_s']
    assert sorted(os.listdir(osp.join(out, 'JPEGImages'))) == \
        [n + '.jpg' for n in kept]
    assert sorted(os.listdir(osp.join(out, 'SegmentationClass'))) == \
        [n + '.png' for n in kept]
    # Label vectors: 14 foreground classes, ids - 1.
    with np.load(osp.join(out, 'cls_labels.npz'), allow_pickle=False) as f:
        labels = dict(zip(f['names'].tolist(), f['labels']))
    assert list(labels) == kept
    want = {'1_1_s': [CLS['cow']], '2_1_s': [CLS['dog'], CLS['person']],
            '4_1_s': [CLS['bird'], CLS['chair']]}
    for name, ids in want.items():
        vec = np.zeros(14, dtype=np.float32)
        vec[np.array(ids) - 1] = 1
        assert labels[name].dtype == np.float32
        np.testing.assert_array_equal(labels[name], vec)
    # Masks: class ids pixel for pixel, VOC palette.
    for name in kept:
        img = Image.open(osp.join(out, 'SegmentationClass', name + '.png'))
        assert img.mode == 'P'
        np.testing.assert_array_equal(np.array(img), _expected(scenes[name]))
        palette = img.getpalette()
        assert palette[3:6] == [128, 0, 0]  # id 1
        assert palette[12 * 3:13 * 3] == [64, 0, 128]  # id 12 (person)
        assert palette[255 * 3:256 * 3] == [224, 224, 192]
        with Image.open(osp.join(out, 'JPEGImages', name + '.jpg')) as jpg:
            assert jpg.format == 'JPEG' and jpg.size == (W, H)
    # Splits: the dropped 3_1_s is left out.
    split_dir = osp.join(out, 'ImageSets', 'Segmentation')
    with open(osp.join(split_dir, 'train.txt')) as f:
        assert f.read() == '1_1_s\n2_1_s\n'
    with open(osp.join(split_dir, 'val_dev.txt')) as f:
        assert f.read() == '4_1_s\n'
    meta = json.load(open(osp.join(out, 'labels.json')))
    assert meta['classes'][12] == 'person' and len(meta['classes']) == 15
    assert meta['palette'][9] == [192, 0, 0]
    assert meta['image_labels'] == {
        '1_1_s': ['cow'], '2_1_s': ['dog', 'person'],
        '4_1_s': ['bird', 'chair']}
    # Atomic writes leave no temporary file.
    for dirpath, _, files in os.walk(out):
        assert not [f for f in files if f.startswith('.')], dirpath
    printed = capsys.readouterr().out
    assert '3 images converted, 2 dropped' in printed
    assert '3_1_s' in printed and '3_2_s' in printed


def test_cleaned_masks_are_used(tool, tmp_path):
    root = str(tmp_path / 'release')
    scenes = _scenes()
    cleaned = {n: lab.copy() for n, lab in scenes.items()}
    cleaned['1_1_s'][cleaned['1_1_s'] == 'cow'] = 'sheep'
    _write_tree(root, scenes, SPLITS, mats=cleaned)
    os.rename(osp.join(root, 'GroundTruth'), osp.join(root, 'unused'))
    out = str(tmp_path / 'out')
    labels = _run(tool, root, out, cleaned_masks=osp.join(root, 'mats'))
    assert np.flatnonzero(labels['1_1_s']).tolist() == [CLS['sheep'] - 1]
    for name in ('1_1_s', '2_1_s', '4_1_s'):
        mask = np.array(
            Image.open(osp.join(out, 'SegmentationClass', name + '.png')))
        np.testing.assert_array_equal(mask, _expected(cleaned[name]))


def test_cli(tool, tree, tmp_path):
    root, _ = tree
    out = str(tmp_path / 'cli')
    tool.main([root, '-o', out, '--split-dir', osp.join(root, 'splits'),
               '--nproc', '2'])
    assert osp.isfile(osp.join(out, 'cls_labels.npz'))
    assert len(os.listdir(osp.join(out, 'JPEGImages'))) == 3


def test_unknown_colour(tool, tree, tmp_path):
    root, scenes = tree
    path = osp.join(root, 'GroundTruth', '1_1_s_GT.bmp')
    colours = np.array(Image.open(path))
    colours[3, 7] = (1, 2, 3)
    Image.fromarray(colours).save(path)
    with pytest.raises(ValueError, match=r'1_1_s_GT\.bmp.*RGB \(1, 2, 3\) '
                       r'on 1 pixel\(s\), e\.g\. row 3 column 7'):
        _run(tool, root, str(tmp_path / 'out'))


def test_missing_mask(tool, tree, tmp_path):
    root, _ = tree
    os.remove(osp.join(root, 'GroundTruth', '2_1_s_GT.bmp'))
    with pytest.raises(FileNotFoundError, match=r'no mask.*2_1_s_GT\.bmp'):
        _run(tool, root, str(tmp_path / 'out'))


def test_unexpected_and_orphan_files(tool, tree, tmp_path):
    root, _ = tree
    open(osp.join(root, 'Images', 'Thumbs.db'), 'w').close()  # ignored
    open(osp.join(root, 'Images', 'notes.txt'), 'w').close()
    Image.new('RGB', (W, H)).save(
        osp.join(root, 'GroundTruth', '9_9_s_GT.bmp'))
    with pytest.raises(ValueError) as info:
        _run(tool, root, str(tmp_path / 'out'))
    message = str(info.value)
    assert 'notes.txt' in message and '9_9_s_GT.bmp' in message
    assert 'Thumbs.db' not in message


def test_not_a_release(tool, tmp_path):
    with pytest.raises(FileNotFoundError, match='Images'):
        _run(tool, str(tmp_path), str(tmp_path / 'out'))


def test_size_mismatch(tool, tree, tmp_path):
    root, _ = tree
    Image.new('RGB', (W + 1, H)).save(osp.join(root, 'Images', '1_1_s.bmp'))
    with pytest.raises(ValueError, match=r'1_1_s_GT\.bmp.*1_1_s\.bmp'):
        _run(tool, root, str(tmp_path / 'out'))


def test_split_of_another_release(tool, tree, tmp_path):
    root, _ = tree
    with open(osp.join(root, 'splits', 'val.txt'), 'a') as f:
        f.write('77_1_s\n')
    with pytest.raises(ValueError, match='77_1_s'):
        _run(tool, root, str(tmp_path / 'out'))


def test_repository_splits_are_name_lists():
    split_dir = osp.join(REPO, 'tools', 'dataset_converters',
                         'msrc_v2_splits')
    names = {}
    for split in ('train', 'val', 'train_dev', 'val_dev'):
        with open(osp.join(split_dir, split + '.txt')) as f:
            names[split] = f.read().split()
    assert (len(names['train']), len(names['val'])) == (330, 164)
    assert not set(names['train']) & set(names['val'])
    assert set(names['train_dev']) <= set(names['train'])
    assert set(names['val_dev']) <= set(names['val'])
    assert all(n.count('_') == 2 and n.endswith('_s')
               for s in names.values() for n in s)
