"""The tags of a folder of photos: labels.csv, mmpretrain's JSON, classes."""
import json
import os.path as osp

import numpy as np
import pytest

from rpnet_mmseg.fileio import (find_tag_file, load_cls_labels, read_tag_file,
                                tag_vectors)


def _write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return str(path)


def test_csv_both_separators_suffixes_spaces_and_empty_rows(tmp_path):
    path = _write(tmp_path / 'labels.csv',
                  'image,labels\n'
                  'a.jpg,cat dog\n'
                  'my photo.png,dog;cat\n'
                  'c,  bird ;  \n'
                  'd.JPG,\n'
                  '\n')
    table = read_tag_file(path)
    assert table.classes == ['bird', 'cat', 'dog']  # sorted tag names
    assert table.tags == {'a': ['cat', 'dog'], 'my photo': ['dog', 'cat'],
                          'c': ['bird'], 'd': []}
    assert table.problems == []
    vectors = tag_vectors(table)
    assert vectors['a'].tolist() == [0, 1, 1]
    assert vectors['my photo'].tolist() == [0, 1, 1]
    assert vectors['d'].tolist() == [0, 0, 0]
    assert vectors['a'].dtype == np.float32


def test_classes_txt_sets_the_order_and_names_unknown_tags(tmp_path):
    _write(tmp_path / 'classes.txt', 'dog\ncat\n')
    path = _write(tmp_path / 'labels.csv',
                  'image,labels\na.jpg,cat\nb.jpg,cat horse\na.png,dog\n')
    table = read_tag_file(path, str(tmp_path / 'classes.txt'))
    assert table.classes == ['dog', 'cat']
    kinds = [k for k, _ in table.problems]
    assert kinds == ['unknown tag', 'duplicate name']
    assert "'b'" in table.problems[0][1] and 'horse' in table.problems[0][1]
    assert 'classes.txt' in table.problems[0][1]
    with pytest.raises(ValueError, match='horse'):
        tag_vectors(table)


@pytest.mark.parametrize('text, match', [
    ('name,tags\na.jpg,cat\n', "header 'image,labels'"),
    ('image,labels\na.jpg,cat,dog\n', 'line 2: expected 2 columns'),
    ('image,labels\n.a.jpg,cat\n', "line 2: image name '.a'"),
    ('image,labels\na.jpg,\n', 'no image has a tag'),
    ('image,labels\na.jpg,background\n', "not 'background'"),
])
def test_malformed_csv_is_named(tmp_path, text, match):
    path = _write(tmp_path / 'labels.csv', text)
    with pytest.raises(ValueError, match=match) as e:
        read_tag_file(path)
    assert 'labels.csv' in str(e.value)


def test_a_folder_part_of_an_image_entry_is_dropped(tmp_path):
    """mmpretrain's img_path has folders; only the file name names the
    image (and so the stage files): never a path outside a folder."""
    path = _write(tmp_path / 'labels.csv', 'image,labels\n../x/a.jpg,cat\n')
    assert list(read_tag_file(path).tags) == ['a']


def test_mmpretrain_annotation_file(tmp_path):
    data = {'metainfo': {'classes': ['cat', 'dog', 'bird']},
            'data_list': [{'img_path': 'images/a.jpg', 'gt_label': [0, 2]},
                          {'img_path': 'b.png', 'gt_label': 1},
                          {'img_path': 'c.jpg', 'gt_label': []}]}
    path = _write(tmp_path / 'labels.json', json.dumps(data))
    table = read_tag_file(path)
    assert table.classes == ['cat', 'dog', 'bird']  # the file's order
    assert table.tags == {'a': ['cat', 'bird'], 'b': ['dog'], 'c': []}
    # classes.txt wins, by name
    _write(tmp_path / 'classes.txt', 'bird\ncat\ndog\n')
    vectors = tag_vectors(read_tag_file(path, str(tmp_path / 'classes.txt')))
    assert vectors['a'].tolist() == [1, 1, 0]


@pytest.mark.parametrize('data, match', [
    ([1, 2], "mmpretrain's annotation format"),
    ({'metainfo': {'classes': ['a']}, 'data_list': [{'gt_label': [0]}]},
     r'data_list\[0\]: needs a string "img_path"'),
    ({'metainfo': {'classes': ['a']},
      'data_list': [{'img_path': 'x.jpg', 'gt_label': [1]}]},
     r'data_list\[0\]: gt_label must be class indices in \[0, 1\)'),
    ({'metainfo': {'classes': ['a', 'a']}, 'data_list': []},
     'listed twice'),
])
def test_malformed_json_is_named(tmp_path, data, match):
    path = _write(tmp_path / 'labels.json', json.dumps(data))
    with pytest.raises(ValueError, match=match) as e:
        read_tag_file(path)
    assert 'labels.json' in str(e.value)


def test_load_cls_labels_reads_a_folder_s_tags(tmp_path):
    _write(tmp_path / 'classes.txt', 'dog\ncat\n')
    path = _write(tmp_path / 'labels.csv', 'image,labels\na.jpg,cat\n')
    assert load_cls_labels(path)['a'].tolist() == [0, 1]
    assert find_tag_file(str(tmp_path)) == path
    with pytest.raises(FileNotFoundError, match='labels.csv or .*labels.json'):
        find_tag_file(str(tmp_path / 'nothing'))


def test_an_oversized_tag_file_is_refused_before_reading(tmp_path,
                                                         monkeypatch):
    from rpnet_mmseg.fileio import tag_format
    monkeypatch.setattr(tag_format, 'MAX_TAG_FILE_BYTES', 64)
    path = _write(tmp_path / 'labels.csv', 'image,labels\n' + 'a.jpg,c\n' * 20)
    with pytest.raises(ValueError, match='bytes'):
        read_tag_file(path)
    assert osp.getsize(path) > 64
