"""fileio.label_format: label PNGs written atomically, read as class ids."""
import os

import numpy as np
import pytest
import torch
from mmseg.datasets import PascalVOCDataset
from PIL import Image

from rpnet_mmseg.fileio import (label_path, read_mask, save_label_png,
                                voc_colormap)


def test_label_path():
    assert label_path('/x/pl', 'im_01') == '/x/pl/im_01.png'


def test_round_trip_palette_png(tmp_path):
    label = np.array([[0, 1, 2, 20], [255, 3, 0, 1]], dtype=np.uint8)
    path = label_path(str(tmp_path / 'pl'), 'a')
    save_label_png(path, label)
    assert os.listdir(tmp_path / 'pl') == ['a.png']
    with Image.open(path) as img:
        assert img.mode == 'P'
        assert img.size == (4, 2)
        # Pixel values are the ids; colours are VOC's.
        np.testing.assert_array_equal(np.array(img), label)
        rgb = img.convert('RGB')
        assert rgb.getpixel((1, 0)) == (128, 0, 0)
        assert rgb.getpixel((0, 1)) == (224, 224, 192)
    out = read_mask(path)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, label)


def test_default_palette_is_vocs():
    # The first 21 colours are mmseg's VOC palette (an independent table).
    assert voc_colormap(21) == [
        list(c) for c in PascalVOCDataset.METAINFO['palette']
    ]
    assert voc_colormap()[255] == [224, 224, 192]


def test_tensor_input_and_custom_palette(tmp_path):
    label = torch.tensor([[[0, 1], [2, 255]]])  # [1, H, W] int64
    path = str(tmp_path / 'b.png')
    save_label_png(path, label, palette=[[1, 2, 3], [4, 5, 6]])
    with Image.open(path) as img:
        rgb = img.convert('RGB')
        assert rgb.getpixel((0, 0)) == (1, 2, 3)
        assert rgb.getpixel((1, 0)) == (4, 5, 6)
        assert rgb.getpixel((0, 1)) == (0, 128, 0)  # beyond it: VOC's
    np.testing.assert_array_equal(read_mask(path), label[0].numpy())


def test_bad_labels_name_the_file(tmp_path):
    path = str(tmp_path / 'bad.png')
    with pytest.raises(ValueError, match='bad.png.*2-D integer'):
        save_label_png(path, np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match='bad.png.*2-D integer'):
        save_label_png(path, np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match='bad.png.*0..255.*300'):
        save_label_png(path, np.array([[0, 300]]))
    with pytest.raises(ValueError, match='palette'):
        save_label_png(path, np.zeros((2, 2), np.uint8), palette=[[1, 2]])
    assert os.listdir(tmp_path) == []


def test_read_mask_rejects_rgb(tmp_path):
    Image.new('RGB', (2, 2)).save(tmp_path / 'rgb.png')
    with pytest.raises(ValueError, match='rgb.png.*mode RGB'):
        read_mask(str(tmp_path / 'rgb.png'))


def test_read_mask_reads_indices_not_colours(tmp_path):
    mask = np.array([[1, 1, 0], [2, 255, 0]], dtype=np.uint8)
    img = Image.frombytes('P', (3, 2), mask.tobytes())
    img.putpalette([0, 0, 0, 9, 9, 9, 7, 7, 7] + [1, 1, 1] * 253)
    img.save(tmp_path / 'm.png')
    np.testing.assert_array_equal(read_mask(str(tmp_path / 'm.png')), mask)
