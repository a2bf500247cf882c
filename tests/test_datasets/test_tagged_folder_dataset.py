"""A folder of tagged photos as a dataset (TaggedFolderDataset and
TaggedFolderSegDataset)."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.datasets import (TaggedFolderDataset, TaggedFolderSegDataset,
                                  build_lazy)


def write_image(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((10, 12, 3), 90, np.uint8)).save(path)


def test_image_level_dataset_of_a_folder(tagged_folder):
    root = tagged_folder()
    ds = TaggedFolderDataset(data_root=root, pipeline=[])
    assert ds.metainfo['classes'] == ('background', 'dog', 'cat')
    assert len(ds.metainfo['palette']) == 3
    infos = {ds.get_data_info(i)['img_id']: ds.get_data_info(i)
             for i in range(len(ds))}
    # 'e' has no tag (background only): skipped, as image-level datasets do
    assert sorted(infos) == ['a', 'b', 'my c']
    assert infos['b']['img_path'].endswith('images/b.png')
    assert infos['b']['gt_label'].tolist() == [1, 1]
    assert infos['my c']['gt_label'].tolist() == [1, 0]
    assert infos['a']['seg_map_path'].endswith('masks/a.png')
    assert infos['b']['seg_map_path'] is None  # only the masks present
    assert ds.get_cat_ids(0) == [2]
    files = ds.input_files()
    assert osp.join(root, 'labels.csv') in files
    assert osp.join(root, 'classes.txt') in files
    assert ds.check(ds.image_names()) == []


def test_paired_folder_dataset_draws_partners(tagged_folder):
    root = tagged_folder()
    ds = TaggedFolderDataset(data_root=root, paired=True, pipeline=[])
    np.random.seed(0)
    for i in range(len(ds)):
        query, partner = ds.prepare_data(i)
        assert set(ds.get_cat_ids(i)) & set(
            ds.get_cat_ids(partner['sample_idx']))


def test_split_file_under_the_folder_or_in_a_run_folder(
        tagged_folder, tmp_path, monkeypatch):
    root = tagged_folder()
    os.makedirs(osp.join(root, 'splits'))
    with open(osp.join(root, 'splits', 'train.txt'), 'w') as f:
        f.write('b\n')
    ds = TaggedFolderDataset(data_root=root, ann_file='splits/train.txt',
                             pipeline=[])
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['b']
    # a split the pipeline wrote into its run folder (relative to the
    # working directory, not to data_root)
    monkeypatch.chdir(tmp_path)
    os.makedirs('run/splits')
    with open('run/splits/train.txt', 'w') as f:
        f.write('a\nmy c\n')
    ds = TaggedFolderDataset(data_root=root, ann_file='run/splits/train.txt',
                             pipeline=[])
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [
        'a', 'my c']


def test_seg_dataset_predicts_unlabelled_images(tagged_folder):
    root = tagged_folder()
    write_image(osp.join(root, 'unlabelled', 'new 1.jpg'))
    write_image(osp.join(root, 'unlabelled', 'new2.png'))
    ds = TaggedFolderSegDataset(
        data_root=root, seg_map_optional=True, pipeline=[],
        data_prefix=dict(img_path='unlabelled', seg_map_path='masks'))
    assert ds.metainfo['classes'] == ('background', 'dog', 'cat')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['img_id'] for i in infos] == ['new 1', 'new2']
    assert all(i['seg_map_path'] is None for i in infos)
    # no unlabelled/ at all: empty with allow_empty, an error without
    empty = TaggedFolderSegDataset(
        data_root=root, seg_map_optional=True, allow_empty=True,
        pipeline=[], data_prefix=dict(img_path='none', seg_map_path='masks'))
    assert len(empty) == 0
    with pytest.raises(FileNotFoundError, match='none'):
        TaggedFolderSegDataset(
            data_root=root, seg_map_optional=True, pipeline=[],
            data_prefix=dict(img_path='none', seg_map_path='masks'))


def test_seg_dataset_reads_pseudo_labels(tagged_folder, tmp_path):
    root = tagged_folder()
    labels = tmp_path / 'pseudo'
    labels.mkdir()
    for name in ('a', 'b'):
        Image.fromarray(np.zeros((10, 12), np.uint8)).save(
            labels / f'{name}.png')
    ds = TaggedFolderSegDataset(data_root=root, pseudo_label_dir=str(labels),
                                skip_missing=True, pipeline=[])
    assert sorted(ds.get_data_info(i)['img_id']
                  for i in range(len(ds))) == ['a', 'b']


def test_check_names_every_problem_of_the_tags(tagged_folder):
    root = tagged_folder(rows=['a.jpg,cat', 'b.png,horse', 'ghost.jpg,dog'])
    os.remove(osp.join(root, 'images', 'ghost.jpg'))
    write_image(osp.join(root, 'images', 'untagged.jpg'))
    ds = build_lazy(dict(type='TaggedFolderDataset', data_root=root))
    problems = ds.check(ds.image_names())
    kinds = sorted(k for k, _ in problems)
    assert kinds == ['row without image', 'unknown tag', 'untagged image']
    text = ' '.join(m for _, m in problems)
    assert 'horse' in text and "'untagged'" in text and "'ghost'" in text
    # loading refuses the same tags, naming the file
    with pytest.raises(ValueError, match='horse'):
        ds.full_init()


def test_two_images_with_one_name_are_refused(tagged_folder):
    root = tagged_folder()
    write_image(osp.join(root, 'images', 'a.png'))
    with pytest.raises(ValueError, match=r"two images named 'a'"):
        TaggedFolderDataset(data_root=root, pipeline=[])


def test_config_classes_must_be_the_folder_s(tagged_folder):
    root = tagged_folder()
    with pytest.raises(ValueError, match='differ from the classes'):
        TaggedFolderDataset(data_root=root, pipeline=[],
                            metainfo=dict(classes=('background', 'cat')))
    # without classes.txt: the sorted tag names
    os.remove(osp.join(root, 'classes.txt'))
    ds = TaggedFolderDataset(data_root=root, pipeline=[], lazy_init=True)
    assert ds.metainfo['classes'] == ('background', 'cat', 'dog')
