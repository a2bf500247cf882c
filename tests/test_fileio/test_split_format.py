"""read_split: one name a line through mmengine, errors naming the file."""
import re

import pytest

from rpnet_mmseg.fileio import read_split


def test_names_in_file_order(tmp_path):
    path = tmp_path / 'train.txt'
    path.write_bytes(b'2007_000032\r\n\n  2007_000039 \n\t\n2007_000063')
    assert read_split(str(path)) == [
        '2007_000032', '2007_000039', '2007_000063'
    ]


def test_missing_file_is_named(tmp_path):
    path = str(tmp_path / 'nope.txt')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"split file '{path}' does not")):
        read_split(path)
    with pytest.raises(FileNotFoundError, match="split file '' does not"):
        read_split('')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"split file (ann_file) '{tmp_path}'")):
        read_split(str(tmp_path), what='split file (ann_file)')  # a folder


def test_empty_file_is_named(tmp_path):
    path = tmp_path / 'empty.txt'
    path.write_text('\n \n')
    with pytest.raises(ValueError,
                       match=re.escape(f"'{path}' lists no image")):
        read_split(str(path))
