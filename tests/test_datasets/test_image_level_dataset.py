"""Tests of ImageLevelSegDataset: loading, pairing, subsets, resume, errors."""
import os
import os.path as osp
from collections import Counter

import numpy as np
import pytest

import rpnet_mmseg.datasets.image_level_dataset as ild
from rpnet_mmseg.datasets import ImageLevelSegDataset, select_class_subset


def _labels(dataset):
    return np.stack(
        [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))])


def _names(dataset):
    return [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))]


def test_load_fields(tiny_voc, make_dataset):
    dataset = make_dataset()
    assert len(dataset) == len(tiny_voc.train)
    assert _names(dataset) == list(tiny_voc.train)
    for i, (name, class_ids) in enumerate(tiny_voc.train.items()):
        info = dataset.get_data_info(i)
        assert info['img_id'] == name
        assert info['img_path'] == osp.join(tiny_voc.root, 'JPEGImages',
                                            name + '.jpg')
        assert osp.isfile(info['img_path'])
        if name in tiny_voc.no_mask:
            assert info['seg_map_path'] is None
        else:
            assert info['seg_map_path'] == osp.join(
                tiny_voc.root, 'SegmentationClass', name + '.png')
        assert info['gt_label'].dtype == np.float32
        np.testing.assert_array_equal(info['gt_label'],
                                      tiny_voc.multi_hot(class_ids))
        assert info['label_map'] is None
        assert info['reduce_zero_label'] is False
        assert info['seg_fields'] == []
        assert dataset.get_cat_ids(i) == [c + 1 for c in sorted(class_ids)]
    assert dataset.metainfo['classes'] == tiny_voc.classes
    assert dataset.num_fg_classes == len(tiny_voc.classes) - 1


def test_classes_not_in_voc_and_palette_cut(tiny_voc, make_dataset):
    """Non-VOC class names load; the default VOC palette is cut to fit."""
    dataset = make_dataset(metainfo=dict(classes=tiny_voc.classes))
    assert dataset.metainfo['classes'] == tiny_voc.classes
    palette = dataset.metainfo['palette']
    assert len(palette) == len(tiny_voc.classes)
    assert [list(c) for c in palette[:2]] == [[0, 0, 0], [128, 0, 0]]


def test_val_split_and_unserialized(tiny_voc, make_dataset):
    dataset = make_dataset(
        ann_file='ImageSets/Segmentation/val.txt', serialize_data=False)
    assert _names(dataset) == list(tiny_voc.val)
    assert dataset.get_data_info(2)['seg_map_path'] is None


def test_paired_partner_shares_a_class(make_dataset):
    np.random.seed(0)
    dataset = make_dataset(paired=True)
    labels = _labels(dataset) > 0
    for idx in range(len(dataset)):
        for _ in range(200):
            partner = dataset.sample_partner(idx)
            assert 0 <= partner < len(dataset)
            assert (labels[idx] & labels[partner]).any(), (idx, partner)


def test_partner_distribution_single_class_image(tiny_voc, make_dataset):
    """A 'cat'-only image is paired with every cat image, itself included."""
    np.random.seed(1)
    dataset = make_dataset(paired=True)
    names = _names(dataset)
    idx = names.index('img_00')
    cat_images = {i for i, n in enumerate(names) if 0 in tiny_voc.train[n]}
    counts = Counter(dataset.sample_partner(idx) for _ in range(3000))
    assert set(counts) == cat_images
    # Uniform over the 6 cat images: each about 500 draws.
    assert min(counts.values()) > 350


def test_no_self_pair(make_dataset):
    np.random.seed(2)
    dataset = make_dataset(paired=True, allow_self_pair=False)
    labels = _labels(dataset) > 0
    for idx in range(len(dataset)):
        partners = {dataset.sample_partner(idx) for _ in range(300)}
        assert idx not in partners
        assert all((labels[idx] & labels[p]).any() for p in partners)
    # 'dog'-only img_03 shares its class with 4 other images: all reached.
    assert len({dataset.sample_partner(3) for _ in range(400)}) == 4


def test_no_self_pair_single_image_class(tiny_voc, make_dataset):
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items()
    }
    labels['img_07'] = tiny_voc.multi_hot([3])
    for name in ('img_08', 'img_11', 'img_12'):  # the other 'tree' images
        labels[name] = tiny_voc.multi_hot([0])
    tiny_voc.save_cls_labels(osp.join(tiny_voc.root, 'cls_labels.npz'),
                             labels)
    with pytest.raises(ValueError, match=r"'tree'.*img_07"):
        make_dataset(paired=True, allow_self_pair=False)
    # Self pairs allowed: the lone image is its own partner.
    dataset = make_dataset(paired=True)
    idx = _names(dataset).index('img_07')
    assert {dataset.sample_partner(idx) for _ in range(50)} == {idx}


def test_paired_getitem_runs_pipeline_twice(make_dataset):
    np.random.seed(3)
    pipeline = [dict(type='LoadImageFromFile')]
    dataset = make_dataset(paired=True, pipeline=pipeline)
    for idx in range(len(dataset)):
        item = dataset[idx]
        assert isinstance(item, list) and len(item) == 2
        query, partner = item
        assert query['img_id'] == dataset.get_data_info(idx)['img_id']
        assert query['img'].shape == (30, 40, 3)
        assert ((query['gt_label'] > 0) & (partner['gt_label'] > 0)).any()
    single = make_dataset(pipeline=pipeline)[0]
    assert isinstance(single, dict) and single['img_id'] == 'img_00'


def test_paired_retry_when_pipeline_drops(make_dataset):
    """A pipeline returning None makes __getitem__ retry another index."""
    calls = []

    def drop_first(results):
        calls.append(results['img_id'])
        return None if len(calls) == 1 else results

    dataset = make_dataset(paired=True, pipeline=[drop_first])
    item = dataset[0]
    assert isinstance(item, list) and len(item) == 2
    assert len(calls) == 3


def test_subset_fraction(tiny_voc, make_dataset):
    full = _labels(make_dataset()) > 0
    for fraction in (1 / 2, 1 / 4, 1 / 16):
        dataset = make_dataset(subset_fraction=fraction, subset_seed=0)
        kept = _labels(dataset) > 0
        for cls_id in range(full.shape[1]):
            share = int(np.ceil(full[:, cls_id].sum() * fraction))
            assert kept[:, cls_id].sum() >= share
        assert len(dataset) <= sum(
            int(np.ceil(n * fraction)) for n in full.sum(0))
        assert len(dataset) < len(tiny_voc.train)
        # Original split order is kept.
        names = _names(dataset)
        order = list(tiny_voc.train)
        assert names == sorted(names, key=order.index)
    assert len(make_dataset(subset_fraction=1.0)) == len(tiny_voc.train)


def test_subset_reproducible_and_seeded(make_dataset):
    first = _names(make_dataset(subset_fraction=0.25, subset_seed=7))
    again = _names(make_dataset(subset_fraction=0.25, subset_seed=7))
    assert first == again
    others = {
        tuple(
            _names(
                make_dataset(
                    subset_fraction=0.25, subset_seed=s,
                    serialize_data=False)))
        for s in range(8)
    }
    assert len(others) > 1


def test_select_class_subset_exact_shares():
    rng = np.random.default_rng(0)
    labels = np.zeros((100, 3), dtype=np.float32)
    labels[np.arange(100), rng.integers(0, 3, 100)] = 1  # one class each
    kept = select_class_subset(labels, 0.25, seed=5)
    for cls_id in range(3):
        n = int(labels[:, cls_id].sum())
        assert labels[kept, cls_id].sum() == np.ceil(n * 0.25)
    assert np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(kept, select_class_subset(labels, 0.25, 5))
    assert not np.array_equal(kept, select_class_subset(labels, 0.25, 6))
    with pytest.raises(ValueError, match='fraction'):
        select_class_subset(labels, 0.0)
    with pytest.raises(ValueError, match='subset_fraction'):
        ImageLevelSegDataset(subset_fraction=1.5, lazy_init=True)


def test_skip_done_dir(tmp_path, tiny_voc, make_dataset):
    done = tmp_path / 'cams'
    done.mkdir()
    for name in ('img_01', 'img_05'):
        (done / (name + '.npz')).write_bytes(b'')
    (done / 'img_06.png').write_bytes(b'')  # other suffix: not done
    dataset = make_dataset(skip_done_dir=str(done))
    names = _names(dataset)
    assert len(names) == len(tiny_voc.train) - 2
    assert 'img_01' not in names and 'img_05' not in names
    assert 'img_06' in names
    png = make_dataset(skip_done_dir=str(done), skip_done_suffix='.png')
    assert 'img_06' not in _names(png) and len(png) == len(tiny_voc.train) - 1


def test_unlabelled_images_skipped_with_warning(tiny_voc, make_dataset,
                                                monkeypatch):
    messages = []
    monkeypatch.setattr(ild, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items()
    }
    labels['img_03'] = tiny_voc.multi_hot([])
    labels['img_09'] = tiny_voc.multi_hot([])
    tiny_voc.save_cls_labels(osp.join(tiny_voc.root, 'cls_labels.npz'),
                             labels)
    dataset = make_dataset()
    assert len(dataset) == len(tiny_voc.train) - 2
    assert 'img_03' not in _names(dataset)
    warning = [m for m in messages if 'no positive class' in m]
    assert len(warning) == 1
    assert '2 image' in warning[0] and 'img_03' in warning[0]


def test_get_subset_reindexes_classes(make_dataset):
    dataset = make_dataset(paired=True)
    subset = dataset.get_subset([0, 1, 2, 3])  # cat, cat, cat+dog, dog
    for _ in range(100):
        assert subset.sample_partner(0) in (0, 1, 2)
    dataset.get_subset_([3, 4, 5])  # dog, dog+car, car
    assert {dataset.sample_partner(2) for _ in range(100)} == {1, 2}


def test_lazy_init(make_dataset):
    dataset = make_dataset(lazy_init=True, paired=True)
    assert not dataset._fully_initialized
    assert dataset.sample_partner(0) >= 0
    assert dataset._fully_initialized


# ---------------------------------------------------------------- errors


def test_missing_image(tiny_voc, make_dataset):
    os.remove(osp.join(tiny_voc.root, 'JPEGImages', 'img_04.jpg'))
    with pytest.raises(FileNotFoundError) as err:
        make_dataset()
    assert 'img_04.jpg' in str(err.value)
    assert 'train.txt' in str(err.value)


def test_missing_split_file(make_dataset):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        make_dataset(ann_file='ImageSets/Segmentation/nope.txt')
    with pytest.raises(FileNotFoundError, match='split file'):
        make_dataset(ann_file='')


def test_missing_cls_label_file(tiny_voc, make_dataset):
    with pytest.raises(FileNotFoundError, match='other_labels.npz'):
        make_dataset(cls_label_file='other_labels.npz')
    os.remove(osp.join(tiny_voc.root, 'cls_labels.npz'))
    with pytest.raises(FileNotFoundError, match='cls_labels.npz'):
        make_dataset()


def test_irn_cls_labels_npy_is_read_when_npz_is_absent(tiny_voc,
                                                       make_dataset):
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items()
    }
    os.remove(osp.join(tiny_voc.root, 'cls_labels.npz'))
    tiny_voc.save_irn_cls_labels(
        osp.join(tiny_voc.root, 'cls_labels.npy'), labels)
    dataset = make_dataset()
    assert dataset.cls_label_file.endswith('cls_labels.npy')
    assert len(dataset) == len(tiny_voc.train)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        np.testing.assert_array_equal(info['gt_label'],
                                      labels[info['img_id']])


def test_hostile_cls_labels_npy_is_refused(tmp_path, tiny_voc, make_dataset):
    from rpnet_mmseg.fileio import RefusedGlobalError

    marker = tmp_path / 'MARKER'

    class RunsCommand:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    os.remove(osp.join(tiny_voc.root, 'cls_labels.npz'))
    path = osp.join(tiny_voc.root, 'cls_labels.npy')
    np.save(path, {'img_00': RunsCommand()}, allow_pickle=True)
    with pytest.raises(RefusedGlobalError) as err:
        make_dataset()
    assert path in str(err.value)
    assert f"'{os.system.__module__}.system'" in str(err.value)
    assert not marker.exists()


def test_image_missing_from_cls_labels(tiny_voc, make_dataset):
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items() if name != 'img_06'
    }
    tiny_voc.save_cls_labels(osp.join(tiny_voc.root, 'cls_labels.npz'),
                             labels)
    with pytest.raises(KeyError) as err:
        make_dataset()
    assert 'img_06' in str(err.value) and 'cls_labels.npz' in str(err.value)


def test_label_of_wrong_length(tiny_voc, make_dataset):
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items()
    }
    labels['img_02'] = np.ones(20, dtype=np.float32)
    # only IRN's dict format can hold vectors of different lengths
    tiny_voc.save_irn_cls_labels(
        osp.join(tiny_voc.root, 'cls_labels.npy'), labels)
    with pytest.raises(ValueError) as err:
        make_dataset(cls_label_file='cls_labels.npy')
    msg = str(err.value)
    assert 'img_02' in msg and 'length 20' in msg
    assert 'expected length 4' in msg and '5 classes' in msg


def test_reduce_zero_label_refused(make_dataset):
    with pytest.raises(ValueError, match='reduce_zero_label'):
        make_dataset(reduce_zero_label=True)


def test_unreadable_image_names_the_file(tiny_voc, make_dataset):
    bad = osp.join(tiny_voc.root, 'JPEGImages', 'img_03.jpg')
    with open(bad, 'wb') as f:
        f.write(b'not a jpeg')
    ds = make_dataset(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='PackImageLevelInputs')
    ])
    idx = _names(ds).index('img_03')
    with pytest.raises(RuntimeError, match='img_03.jpg'):
        ds[idx]


def test_public_labels_and_label_source(tiny_voc, make_dataset):
    """What tools read without loading: the optional masks, the label
    vectors as booleans, no problem on good data."""
    dataset = make_dataset(lazy_init=True)
    assert dataset.label_source() == (osp.join(tiny_voc.root,
                                               'SegmentationClass'), False)
    names = dataset.image_names()
    labels = dataset.image_labels(names)
    assert list(labels) == list(tiny_voc.train)
    for name, class_ids in tiny_voc.train.items():
        want = np.zeros(len(tiny_voc.classes) - 1, dtype=bool)
        want[class_ids] = True
        assert labels[name].dtype == bool
        np.testing.assert_array_equal(labels[name], want)
    assert dataset.check(names) == []


def test_check_names_bad_label_vectors(tiny_voc, make_dataset):
    """A missing or malformed vector is a problem naming the image and the
    file, and is left out of image_labels; an unreadable file is one."""
    labels = {
        name: tiny_voc.multi_hot(ids)
        for name, ids in tiny_voc.train.items() if name != 'img_01'
    }
    labels['img_02'] = np.ones(3, dtype=np.float32)
    os.remove(osp.join(tiny_voc.root, 'cls_labels.npz'))
    npy = osp.join(tiny_voc.root, 'cls_labels.npy')
    tiny_voc.save_irn_cls_labels(npy, labels)
    dataset = make_dataset(lazy_init=True)
    names = dataset.image_names()
    problems = dataset.check(names)
    assert [kind for kind, _ in problems] == ['label vector'] * 2
    assert "image 'img_01'" in problems[0][1] and npy in problems[0][1]
    assert "label of 'img_02'" in problems[1][1] and npy in problems[1][1]
    assert set(dataset.image_labels(names)) == set(names) - {
        'img_01', 'img_02'}
    os.remove(npy)
    dataset = make_dataset(lazy_init=True)
    problems = dataset.check(names)
    assert len(problems) == 1 and problems[0][0] == 'label file'
    assert 'cls_labels.npz' in problems[0][1]
    with pytest.raises(FileNotFoundError, match='cls_labels.npz'):
        dataset.image_labels(names)
