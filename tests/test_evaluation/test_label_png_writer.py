"""LabelPNGWriter: one palette PNG of class ids per image."""
import os

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample
from PIL import Image

from rpnet_mmseg.evaluation import LabelPNGWriter
from rpnet_mmseg.fileio import (STAGE_FILE, StaleOutputError, make_record,
                                read_mask)

META = dict(
    classes=('background', 'cat', 'dog'),
    palette=[[0, 0, 0], [10, 20, 30], [40, 50, 60]])


def sample(name, label, field='pred_sem_seg', ori_shape=None):
    label = torch.as_tensor(label)
    s = SegDataSample(
        metainfo=dict(
            img_path=f'/data/JPEGImages/{name}.jpg',
            ori_shape=tuple(label.shape[-2:]) if ori_shape is
            None else ori_shape))
    s.set_field(PixelData(data=label[None]), field)
    return s


def test_round_trip_with_dataset_palette(tmp_path):
    writer = METRICS.build(
        dict(type='LabelPNGWriter', output_dir=str(tmp_path / 'pl')))
    assert isinstance(writer, LabelPNGWriter)
    writer.dataset_meta = META
    labels = {
        'a': np.array([[0, 1, 2], [255, 1, 0]]),
        'b': np.array([[2, 2], [0, 255]])
    }
    for name, label in labels.items():
        writer.process(None, [sample(name, label).to_dict()])
    assert writer.evaluate(2) == {'num_written': 2, 'num_skipped': 0}
    assert sorted(os.listdir(tmp_path / 'pl')) == [
        STAGE_FILE, '.rpnet_written.rank0.txt', 'a.png', 'b.png'
    ]
    for name, label in labels.items():
        path = tmp_path / 'pl' / f'{name}.png'
        np.testing.assert_array_equal(read_mask(str(path)), label)
        with Image.open(path) as img:
            assert img.mode == 'P'
            colour = META['palette'][label[0, 1]]  # the dataset's palette
            assert img.convert('RGB').getpixel((1, 0)) == tuple(colour)


def test_other_field_and_default_voc_palette(tmp_path):
    writer = LabelPNGWriter(str(tmp_path), field='pseudo_label')
    writer.process(None, [sample('c', [[1, 0]], field='pseudo_label')])
    with Image.open(tmp_path / 'c.png') as img:
        assert img.convert('RGB').getpixel((0, 0)) == (128, 0, 0)


def test_resume_skips_finished_png(tmp_path):
    producer = make_record('irn', extra={'weights': 1})
    first = LabelPNGWriter(str(tmp_path))
    first.set_producer(producer)
    first.process(None, [sample('a', [[1, 1]])])
    again = LabelPNGWriter(str(tmp_path))
    again.set_producer(producer)
    again.process(None, [sample('a', [[2, 2]]), sample('b', [[0, 2]])])
    assert again.evaluate(2) == {'num_written': 1, 'num_skipped': 1}
    np.testing.assert_array_equal(read_mask(str(tmp_path / 'a.png')), [[1, 1]])


@pytest.mark.parametrize('other', [dict(palette=[[9, 9, 9]] * 3),
                                   dict(field='pseudo_label')])
def test_other_writer_settings_do_not_resume(tmp_path, other):
    producer = make_record('irn', extra={'weights': 1})
    first = LabelPNGWriter(str(tmp_path))
    first.set_producer(producer)
    first.process(None, [sample('a', [[1, 1]])])
    # the same model and config, but files of other colours or content
    with pytest.raises(StaleOutputError, match='palette|field'):
        LabelPNGWriter(str(tmp_path), **other).set_producer(producer)
    again = LabelPNGWriter(str(tmp_path))  # the same settings resume
    again.set_producer(producer)


def test_bad_labels_name_the_image(tmp_path):
    writer = LabelPNGWriter(str(tmp_path))
    writer.dataset_meta = META
    with pytest.raises(ValueError, match='a.*"pred_sem_seg" has ids \\[3\\]'):
        writer.process(None, [sample('a', [[0, 3]])])
    with pytest.raises(ValueError, match=r'b.*\(1, 2\).*\(2, 2\)'):
        writer.process(None, [sample('b', [[0, 1]], ori_shape=(2, 2))])
    with pytest.raises(ValueError, match='c.*integer'):
        writer.process(None, [sample('c', [[0.5, 1.0]])])
    with pytest.raises(ValueError, match='d.*no "seg_logits"'):
        LabelPNGWriter(
            str(tmp_path), field='seg_logits').process(None,
                                                       [sample('d', [[0]])])
    # No label file: the record and the manifest (names listed before
    # writing; a name without a file is harmless).
    assert sorted(os.listdir(tmp_path)) == [
        STAGE_FILE, '.rpnet_written.rank0.txt'
    ]
