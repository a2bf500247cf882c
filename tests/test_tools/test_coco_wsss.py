"""Tests of tools/dataset_converters/coco_wsss.py on a tiny COCO tree."""
import importlib.util
import json
import os
import os.path as osp
import sys
import pickle

import numpy as np
import pytest
from PIL import Image

pytest.importorskip('pycocotools')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'coco_wsss.py')
H, W = 10, 12
# Category ids with COCO-like gaps: remapped to classes 1, 2, 3.
CATEGORIES = [dict(id=1, name='person'), dict(id=18, name='dog'),
              dict(id=90, name='toothbrush')]


def _rle(mask):
    """Uncompressed COCO RLE of a binary mask (column-major runs)."""
    flat = mask.astype(np.uint8).ravel(order='F')
    counts, value, run = [], 0, 0
    for v in flat:
        if v != value:
            counts.append(run)
            value, run = v, 0
        run += 1
    counts.append(run)
    return dict(size=[int(mask.shape[0]), int(mask.shape[1])],
                counts=[int(c) for c in counts])


def _box(y0, y1, x0, x1):
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


# image file stem -> list of (category id, mask, iscrowd)
TRAIN = {
    # A dog, a person on top of it (smaller, painted last), a crowd of
    # people partly outside both.
    'COCO_train2014_000000000001': [(18, _box(1, 9, 1, 11), 0),
                                    (1, _box(3, 6, 3, 6), 0),
                                    (1, _box(0, 3, 8, 12), 1)],
    # Only a crowd: no label, left out.
    'COCO_train2014_000000000002': [(90, _box(2, 5, 2, 5), 1)],
    'COCO_train2014_000000000003': [(90, _box(4, 8, 0, 3), 0)],
    # No annotation at all: left out.
    'COCO_train2014_000000000004': [],
}
VAL = {'COCO_val2014_000000000042': [(1, _box(0, 10, 0, 6), 0),
                                     (18, _box(0, 10, 6, 12), 0)]}


def _write_split(root, split, images, categories=CATEGORIES):
    records, anns = [], []
    for i, (name, objects) in enumerate(images.items()):
        records.append(dict(id=100 + i, file_name=name + '.jpg', height=H,
                            width=W))
        for cat_id, mask, crowd in objects:
            anns.append(dict(
                id=len(anns) + 1, image_id=100 + i, category_id=cat_id,
                iscrowd=crowd, area=float(mask.sum()),
                bbox=[0, 0, W, H], segmentation=_rle(mask)))
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(osp.join(root, 'annotations', f'instances_{split}.json'),
              'w') as f:
        json.dump(dict(images=records, annotations=anns,
                       categories=categories), f)


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('coco_wsss', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # workers unpickle its functions
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def coco(tmp_path):
    root = str(tmp_path / 'coco2014')
    _write_split(root, 'train2014', TRAIN)
    _write_split(root, 'val2014', VAL)
    return root


def _read(root, split, name):
    return np.array(Image.open(
        osp.join(root, 'SegmentationClass', split, name + '.png')))


def _labels(root):
    """cls_labels.npz as ``{name: vector}``, read with plain numpy."""
    with np.load(osp.join(root, 'cls_labels.npz'), allow_pickle=False) as f:
        return dict(zip(f['names'].tolist(), f['labels']))


def test_merges_an_irn_format_label_file(tool, coco):
    """An IRN-format cls_labels.npy in place is merged, not run or lost."""
    old = {'COCO_train2014_000000000099': np.array([0, 1, 0], np.float32)}
    np.save(osp.join(coco, 'cls_labels.npy'), old, allow_pickle=True)
    tool.main([coco, '--splits', 'val2014'])
    labels = _labels(coco)
    assert sorted(labels) == ['COCO_train2014_000000000099',
                              'COCO_val2014_000000000042']
    np.testing.assert_array_equal(labels['COCO_train2014_000000000099'],
                                  [0, 1, 0])


def test_convert(tool, coco):
    tool.main([coco])
    labels = _labels(coco)
    assert sorted(labels) == ['COCO_train2014_000000000001',
                              'COCO_train2014_000000000003',
                              'COCO_val2014_000000000042']
    np.testing.assert_array_equal(labels['COCO_train2014_000000000001'],
                                  [1, 1, 0])
    np.testing.assert_array_equal(labels['COCO_train2014_000000000003'],
                                  [0, 0, 1])
    np.testing.assert_array_equal(labels['COCO_val2014_000000000042'],
                                  [1, 1, 0])
    assert all(v.dtype == np.float32 for v in labels.values())
    # Masks: dog (class 2) with the person (class 1) on top; the crowd
    # stays background by default.
    want = np.zeros((H, W), np.uint8)
    want[1:9, 1:11] = 2
    want[3:6, 3:6] = 1
    got = _read(coco, 'train2014', 'COCO_train2014_000000000001')
    np.testing.assert_array_equal(got, want)
    want = np.zeros((H, W), np.uint8)
    want[4:8, 0:3] = 3
    np.testing.assert_array_equal(
        _read(coco, 'train2014', 'COCO_train2014_000000000003'), want)
    want = np.full((H, W), 2, np.uint8)
    want[:, :6] = 1
    np.testing.assert_array_equal(
        _read(coco, 'val2014', 'COCO_val2014_000000000042'), want)
    assert sorted(os.listdir(osp.join(coco, 'SegmentationClass',
                                      'train2014'))) == [
        'COCO_train2014_000000000001.png', 'COCO_train2014_000000000003.png']
    with open(osp.join(coco, 'ImageSets/Segmentation/train2014.txt')) as f:
        assert f.read().split() == ['COCO_train2014_000000000001',
                                    'COCO_train2014_000000000003']
    meta = json.load(open(osp.join(coco, 'labels.json')))
    assert meta['classes'] == ['background', 'person', 'dog', 'toothbrush']
    assert meta['coco_category_ids'] == [1, 18, 90]
    assert meta['palette'][1] == [128, 0, 0]


def test_crowd_void_and_resume(tool, coco):
    name = 'COCO_train2014_000000000001'
    path = osp.join(coco, 'SegmentationClass', 'train2014', name + '.png')
    tool.main([coco, '--splits', 'train2014'])
    mtime = os.stat(path).st_mtime_ns
    # Resumes: the finished PNG is kept, the labels are rebuilt.
    tool.main([coco, '--splits', 'train2014', '--crowd-void'])
    assert os.stat(path).st_mtime_ns == mtime
    assert not (_read(coco, 'train2014', name) == 255).any()
    tool.main([coco, '--splits', 'train2014', '--crowd-void', '--overwrite'])
    got = _read(coco, 'train2014', name)
    crowd_only = _box(0, 3, 8, 12) & ~_box(1, 9, 1, 11)
    assert (got[crowd_only] == 255).all()
    assert (got[~crowd_only] != 255).all()
    # Converting val later keeps the train entries.
    tool.main([coco, '--splits', 'val2014', '--nproc', '2'])
    labels = _labels(coco)
    assert len(labels) == 3


def test_crowd_labels(tool, coco):
    """--crowd-labels counts crowd categories: the crowd-only image is
    listed, with an all-background mask."""
    tool.main([coco, '--splits', 'train2014', '--crowd-labels'])
    labels = _labels(coco)
    np.testing.assert_array_equal(labels['COCO_train2014_000000000002'],
                                  [0, 0, 1])
    np.testing.assert_array_equal(labels['COCO_train2014_000000000001'],
                                  [1, 1, 0])
    assert 'COCO_train2014_000000000004' not in labels
    assert not _read(coco, 'train2014', 'COCO_train2014_000000000002').any()


def test_category_map_80_classes(tool):
    """COCO's 80 ids 1..90 with gaps become 1..80 in id order."""
    missing = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
    ids = [i for i in range(1, 91) if i not in missing]
    assert len(ids) == 80

    class FakeCoco:
        cats = {i: dict(id=i, name=f'c{i}') for i in reversed(ids)}

    mapping, classes = tool.category_map(FakeCoco())
    assert mapping[1] == 1 and mapping[13] == 12 and mapping[90] == 80
    assert len(classes) == 81 and classes[80] == 'c90'


def test_unknown_category(tool, coco):
    path = osp.join(coco, 'annotations', 'instances_val2014.json')
    data = json.load(open(path))
    data['annotations'][0]['category_id'] = 77
    json.dump(data, open(path, 'w'))
    with pytest.raises(ValueError, match=r'instances_val2014\.json.*\[77\]'):
        tool.main([coco, '--splits', 'val2014'])


def test_missing_annotation_file(tool, tmp_path):
    with pytest.raises(FileNotFoundError, match='instances_train2014.json'):
        tool.main([str(tmp_path)])


def test_coco_config_loads_converted_tree(tool, tmp_path):
    """The COCO configs read the converter's output (80 classes in COCO's
    id order); the dataset keeps little per image."""
    from mmengine.config import Config
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets',
                 'coco14_image_level.py'))
    classes = list(cfg.metainfo['classes'])
    assert len(classes) == 81 and len(cfg.metainfo['palette']) == 81
    assert cfg.metainfo['palette'][80] == [32, 64, 0]
    # All 80 COCO categories (ids 1..90 with gaps), named as in the config.
    ids = [i for i in range(1, 91)
           if i not in {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}]
    categories = [dict(id=i, name=n) for i, n in zip(ids, classes[1:])]
    coco = str(tmp_path / 'coco2014')
    _write_split(coco, 'train2014', TRAIN, categories)
    _write_split(coco, 'val2014', VAL, categories)
    tool.main([coco])
    assert json.load(open(osp.join(coco, 'labels.json')))['classes'] == \
        classes
    rng = np.random.default_rng(0)
    for split, names in (('train2014', TRAIN), ('val2014', VAL)):
        os.makedirs(osp.join(coco, split), exist_ok=True)
        for name in names:
            Image.fromarray(rng.integers(0, 256, (H, W, 3), np.uint8)).save(
                osp.join(coco, split, name + '.jpg'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=coco, pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 2
    info = dataset.get_data_info(0)
    assert info['img_id'] == 'COCO_train2014_000000000001'
    assert info['gt_label'].shape == (80, )
    assert info['seg_map_path'].endswith(
        'SegmentationClass/train2014/COCO_train2014_000000000001.png')
    # person = 1, dog (COCO id 18) = 17, toothbrush (COCO id 90) = 80.
    assert dataset.get_cat_ids(0) == [1, 17]
    assert dataset.get_cat_ids(1) == [80]
    # Per image the dataset keeps its info dict (paths, name, an 80-float
    # label vector), serialised by mmengine, and one row of a boolean
    # label matrix: about 1 KB, i.e. ~80 MB at COCO's 82k images.
    per_image = len(pickle.dumps(info))
    assert per_image < 1500, per_image
    assert dataset._label_matrix.dtype == np.bool_
    assert dataset._label_matrix.nbytes == 2 * 80
    val_cfg = dict(cfg.train_dataloader.dataset)
    val_cfg.update(cfg.val_split, data_root=coco, pipeline=[], paired=False)
    assert len(DATASETS.build(val_cfg)) == 1
