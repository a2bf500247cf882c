"""read_split: one name a line through mmengine, errors naming the file."""
import re

import pytest

from rpnet_mmseg.fileio import check_image_name, read_split


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


@pytest.mark.parametrize('bad', ['../../x', '/abs/x', 'a/b', '..', '.',
                                 '.hidden', 'a\0b'])
def test_names_that_leave_the_folder_are_refused(tmp_path, bad):
    path = tmp_path / 'train.txt'
    # The bad name on line 4 (line 2 is blank: lines count, not names).
    path.write_text(f'2007_000032\n\n2007_000039\n {bad} \nlast\n')
    with pytest.raises(
            ValueError,
            match=re.escape(f"split file '{path}' line 4: image name "
                            f'{bad!r}')):
        read_split(str(path))
    with pytest.raises(ValueError, match=re.escape("(ann_file) '")):
        read_split(str(path), what='split file (ann_file)')


def test_names_with_spaces_and_other_characters_are_kept(tmp_path):
    path = tmp_path / 'train.txt'
    path.write_text('IMG 0001 (copy)\nété-2024_x.y\n')
    assert read_split(str(path)) == ['IMG 0001 (copy)', 'été-2024_x.y']


def test_check_image_name():
    assert check_image_name('a b', 'here') == 'a b'
    for bad in ('', '.', '..', '.x', 'a/b', '/a', 'a\0'):
        with pytest.raises(ValueError, match=re.escape(f'here: image name '
                                                       f'{bad!r}')):
            check_image_name(bad, 'here')
    with pytest.raises(ValueError, match='not a string'):
        check_image_name(3, 'here')
