"""VOCLayoutSegDataset: the split, the class-0 guard, the palette and the
public methods that tools call, on the base and on both datasets."""
import os.path as osp
import re

import pytest

from rpnet_mmseg.datasets import (ImageLevelSegDataset, PseudoLabelSegDataset,
                                  VOCLayoutSegDataset)

SPLIT = 'ImageSets/Segmentation/odd.txt'


def _base(tiny_voc, **kwargs):
    """The base class on the tiny data, annotations not loaded."""
    cfg = dict(
        data_root=tiny_voc.root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=tiny_voc.metainfo,
        lazy_init=True)
    cfg.update(kwargs)
    return VOCLayoutSegDataset(**cfg)


def _write_split(tiny_voc, text):
    with open(osp.join(tiny_voc.root, SPLIT), 'w', newline='') as f:
        f.write(text)
    return osp.join(tiny_voc.root, SPLIT)


def test_image_names_follow_the_file(tiny_voc):
    """One name a line, white space and blank lines dropped, file order."""
    _write_split(tiny_voc, 'img_03\r\n\n  img_01  \n\t\nimg_02')
    dataset = _base(tiny_voc, ann_file=SPLIT)
    assert dataset.image_names() == ['img_03', 'img_01', 'img_02']
    assert _base(tiny_voc).image_names() == list(tiny_voc.train)


def test_missing_and_empty_split_name_the_file(tiny_voc):
    missing = osp.join(tiny_voc.root, 'ImageSets/Segmentation/nope.txt')
    dataset = _base(tiny_voc, ann_file='ImageSets/Segmentation/nope.txt')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"(ann_file) '{missing}'")):
        dataset.image_names()
    path = _write_split(tiny_voc, '\n  \n')
    with pytest.raises(ValueError, match=re.escape(f"'{path}' lists no")):
        _base(tiny_voc, ann_file=SPLIT).image_names()


def test_base_public_methods(tiny_voc):
    """Masks required, no image-level labels, nothing else to check."""
    dataset = _base(tiny_voc)
    assert dataset.label_source() == (osp.join(tiny_voc.root,
                                               'SegmentationClass'), True)
    names = dataset.image_names()
    assert dataset.image_labels(names) == {}
    assert dataset.check(names) == []


def test_class_ids_are_kept_and_palette_cut(tiny_voc):
    """No label map; VOC's default palette cut to the classes; a palette
    shorter than the classes is an error naming both counts."""
    dataset = _base(tiny_voc, metainfo=dict(classes=tiny_voc.classes))
    assert VOCLayoutSegDataset.get_label_map(('a', 'b')) is None
    assert dataset.label_map is None
    assert dataset.metainfo['classes'] == tiny_voc.classes
    assert [list(c) for c in dataset.metainfo['palette']] == [
        [0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]
    with pytest.raises(ValueError, match='palette has 2 colours for 5'):
        _base(tiny_voc, metainfo=dict(
            classes=tiny_voc.classes, palette=[[0, 0, 0], [1, 1, 1]]))


@pytest.mark.parametrize(
    'cls', [VOCLayoutSegDataset, ImageLevelSegDataset, PseudoLabelSegDataset])
def test_reduce_zero_label_is_refused(tiny_voc, cls):
    with pytest.raises(ValueError,
                       match=f'{cls.__name__} keeps background.*'
                       'reduce_zero_label'):
        cls(data_root=tiny_voc.root,
            ann_file='ImageSets/Segmentation/train.txt',
            metainfo=tiny_voc.metainfo,
            reduce_zero_label=True,
            lazy_init=True)


def test_both_datasets_share_the_base(tiny_voc):
    for cls in (ImageLevelSegDataset, PseudoLabelSegDataset):
        assert issubclass(cls, VOCLayoutSegDataset)
        dataset = cls(
            data_root=tiny_voc.root,
            ann_file='ImageSets/Segmentation/val.txt',
            metainfo=tiny_voc.metainfo,
            lazy_init=True)
        assert dataset.image_names() == list(tiny_voc.val)
