"""tools/split_folder.py and tools/check_dataset.py on a folder of photos."""
import importlib.util
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CAM_CONFIG = osp.join(REPO, 'configs', 'rpnet',
                      'rpnet_effnetlite0_1xb16-3ep_folder-256x256.py')


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # workers unpickle its functions
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def split_folder():
    return _tool('split_folder')


@pytest.fixture(scope='module')
def check_dataset():
    return _tool('check_dataset')


def _rows(n):
    return [f'im {i}.{"png" if i % 3 else "jpg"},{"cat" if i % 2 else "dog"}'
            for i in range(n)]


def test_drawn_split_is_written_reproducible_and_reported(
        tagged_folder, tmp_path, split_folder):
    root = tagged_folder(rows=_rows(20) + ['bg.jpg,'], masks=['im 0', 'im 1'])
    os.makedirs(osp.join(root, 'unlabelled'))
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
        osp.join(root, 'unlabelled', 'new.jpg'))
    reports = []
    for run in ('a', 'b'):
        out = str(tmp_path / run / 'data_split.json')
        reports.append(split_folder.main(['--data-root', root, '--out-json',
                                          out, '--seed', '3']))
        with open(out) as f:
            assert json.load(f) == reports[-1]
    a, b = reports
    assert a['classes'] == ['background', 'dog', 'cat']
    assert a['num_classes'] == 3 and a['num_fg_classes'] == 2
    assert a['tag_file'] == 'labels.csv' and a['num_unlabelled'] == 1
    # 20 tagged images (bg.jpg has no tag): 2 drawn for val, the same draw
    assert (a['num_train'], a['num_val']) == (18, 2)
    assert a['train_sha1'] == b['train_sha1']
    assert a['num_train_masks'] + a['num_val_masks'] == 2
    train = open(a['train']).read().split('\n')[:-1]
    val = open(a['val']).read().split('\n')[:-1]
    assert sorted(train + val) == sorted(f'im {i}' for i in range(20))
    assert osp.dirname(a['train']) == str(tmp_path / 'a' / 'splits')
    other = split_folder.main(['--data-root', root, '--out-json',
                               str(tmp_path / 'c' / 'd.json'),
                               '--seed', '4'])
    assert other['val_sha1'] != a['val_sha1']


def test_the_folder_s_own_splits_are_kept(tagged_folder, tmp_path,
                                          split_folder):
    root = tagged_folder(rows=_rows(6))
    os.makedirs(osp.join(root, 'splits'))
    with open(osp.join(root, 'splits', 'train.txt'), 'w') as f:
        f.write('im 0\nim 1\nim 2\n')
    report = split_folder.main(['--data-root', root, '--out-json',
                                str(tmp_path / 'r.json')])
    assert report['split_rule'] == "the folder's splits/"
    assert open(report['val']).read() == 'im 3\nim 4\nim 5\n'
    with open(osp.join(root, 'splits', 'val.txt'), 'w') as f:
        f.write('im 4\nnobody\n')
    with pytest.raises(ValueError, match="'nobody'"):
        split_folder.main(['--data-root', root, '--out-json',
                           str(tmp_path / 'r.json')])


def test_split_refuses_untagged_images_and_unknown_tags(
        tagged_folder, tmp_path, split_folder):
    root = tagged_folder(rows=['a.jpg,cat', 'b.jpg,horse'])
    with pytest.raises(ValueError, match='horse'):
        split_folder.main(['--data-root', root, '--out-json',
                           str(tmp_path / 'r.json')])
    with open(osp.join(root, 'labels.csv'), 'w') as f:
        f.write('image,labels\na.jpg,cat\nghost.jpg,dog\n')
    with pytest.raises(ValueError, match=r"1 image\(s\) without a row.*"
                       r"'b'.*1 row\(s\) without an image.*'ghost'"):
        split_folder.main(['--data-root', root, '--out-json',
                           str(tmp_path / 'r.json')])


def test_check_dataset_names_every_problem_of_a_folder(
        tagged_folder, check_dataset, capsys):
    rows = ['a.jpg,cat', 'b.png,dog', 'c.jpg,cat horse', 'd.jpg,dog',
            'ghost.jpg,cat', 'f.jpg,dog']
    root = tagged_folder(rows=rows, masks=['a', 'b', 'd'])
    os.remove(osp.join(root, 'images', 'ghost.jpg'))
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(
        osp.join(root, 'images', 'untagged.jpg'))
    with open(osp.join(root, 'images', 'f.jpg'), 'wb') as f:
        f.write(b'not an image')
    Image.fromarray(np.ones((5, 5), np.uint8)).save(
        osp.join(root, 'masks', 'b.png'))  # another size
    Image.fromarray(np.full((10, 12), 7, np.uint8)).save(
        osp.join(root, 'masks', 'd.png'))  # id 7 of 3 classes
    status = check_dataset.main([CAM_CONFIG, '--data-root', root,
                                 '--cfg-options',
                                 'train_dataloader.dataset.ann_file=',
                                 'test_dataloader.dataset.ann_file=',
                                 '--splits', 'train', '--max-list', '0'])
    out = capsys.readouterr().out
    assert status == 1
    for expected in ('horse', "'untagged'", "'ghost'", 'f.jpg', 'b.png',
                     'd.png'):
        assert expected in out, expected
