"""Tests of tools/dataset_converters/make_cls_labels.py."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
    'make_cls_labels.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('make_cls_labels', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(path):
    """The written labels, read with plain numpy and no pickle."""
    with np.load(path, allow_pickle=False) as f:
        return dict(zip(f['names'].tolist(), f['labels']))


def _check(labels, tiny_voc, names):
    assert sorted(labels) == sorted(names)
    everything = {**tiny_voc.train, **tiny_voc.val}
    for name in names:
        assert labels[name].dtype == np.float32
        np.testing.assert_array_equal(labels[name],
                                      tiny_voc.multi_hot(everything[name]))


def test_from_masks_with_labels_json(tool, tiny_voc, tmp_path, capsys):
    meta = tmp_path / 'labels.json'
    meta.write_text(json.dumps(dict(classes=list(tiny_voc.classes))))
    out = tmp_path / 'out' / 'cls_labels.npz'
    tool.main([
        '--masks',
        osp.join(tiny_voc.root, 'SegmentationClass'), '--labels-json',
        str(meta), '--out',
        str(out)
    ])
    masked = [
        n for n in list(tiny_voc.train) + list(tiny_voc.val)
        if n not in tiny_voc.no_mask
    ]
    _check(_load(out), tiny_voc, masked)
    assert os.listdir(out.parent) == ['cls_labels.npz']  # no temp file left
    printed = capsys.readouterr().out
    assert f'{len(masked)} images' in printed
    assert 'cat: 7' in printed  # 6 train + 1 val cat images have masks


def test_from_xml_with_split(tool, tiny_voc, tmp_path):
    out = tmp_path / 'cls.npz'
    split = osp.join(tiny_voc.root, 'ImageSets/Segmentation/train.txt')
    tool.main([
        '--xml',
        osp.join(tiny_voc.root, 'Annotations'), '--classes',
        ','.join(tiny_voc.classes[1:]), '--split', split, '--out',
        str(out)
    ])
    labels = _load(out)
    _check(labels, tiny_voc, list(tiny_voc.train))


def test_output_loads_in_dataset(tool, tiny_voc, make_dataset):
    out = osp.join(tiny_voc.root, 'from_xml.npz')
    tool.main([
        '--xml',
        osp.join(tiny_voc.root, 'Annotations'), '--classes',
        ','.join(tiny_voc.classes[1:]), '--out', out
    ])
    dataset = make_dataset(cls_label_file='from_xml.npz')
    assert len(dataset) == len(tiny_voc.train)


def test_unknown_xml_class(tool, tiny_voc, tmp_path):
    bad = osp.join(tiny_voc.root, 'Annotations', 'img_05.xml')
    with open(bad, 'w') as f:
        f.write('<annotation><object><name>zebra</name></object>'
                '</annotation>')
    with pytest.raises(ValueError) as err:
        tool.main([
            '--xml',
            osp.join(tiny_voc.root, 'Annotations'), '--classes',
            ','.join(tiny_voc.classes[1:]), '--out',
            str(tmp_path / 'x.npz')
        ])
    assert 'img_05.xml' in str(err.value) and 'zebra' in str(err.value)
    assert not (tmp_path / 'x.npz').exists()


def test_mask_value_out_of_range(tool, tiny_voc, tmp_path):
    bad = osp.join(tiny_voc.root, 'SegmentationClass', 'img_03.png')
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[3:6, 3:6] = 9
    Image.fromarray(mask).save(bad)  # a grayscale index PNG
    with pytest.raises(ValueError) as err:
        tool.main([
            '--masks',
            osp.join(tiny_voc.root, 'SegmentationClass'), '--classes',
            ','.join(tiny_voc.classes[1:]), '--out',
            str(tmp_path / 'x.npz')
        ])
    assert 'img_03.png' in str(err.value) and '[9]' in str(err.value)


def test_rgb_mask_refused(tool, tiny_voc, tmp_path):
    bad = osp.join(tiny_voc.root, 'SegmentationClass', 'img_03.png')
    Image.fromarray(np.zeros((30, 40, 3), dtype=np.uint8)).save(bad)
    with pytest.raises(ValueError, match='img_03.png'):
        tool.main([
            '--masks',
            osp.join(tiny_voc.root, 'SegmentationClass'), '--classes',
            ','.join(tiny_voc.classes[1:]), '--out',
            str(tmp_path / 'x.npz')
        ])


def test_split_name_without_annotation(tool, tiny_voc, tmp_path):
    split = osp.join(tiny_voc.root, 'ImageSets/Segmentation/train.txt')
    with pytest.raises(FileNotFoundError, match='img_15.png'):
        tool.main([
            '--masks',
            osp.join(tiny_voc.root, 'SegmentationClass'), '--classes',
            ','.join(tiny_voc.classes[1:]), '--split', split, '--out',
            str(tmp_path / 'x.npz')
        ])
