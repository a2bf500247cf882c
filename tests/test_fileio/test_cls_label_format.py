"""fileio.cls_label_format: cls_labels.npz, IRN's cls_labels.npy, hostile."""
import os

import numpy as np
import pytest

from rpnet_mmseg.fileio import (CLS_LABEL_FILE, RefusedGlobalError,
                                find_cls_label_file, irn_int_name,
                                load_cls_labels, save_cls_labels)


class _RunsCommand:
    """Pickles as a call of ``os.system`` (what a hostile file holds)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _labels():
    return {
        'b_2': np.array([0, 1, 1], np.float32),
        'a 1/ü': np.array([1, 0, 0], np.float32),
        '2007_000032': np.array([0, 0, 1], np.float32),
    }


def test_round_trip_keeps_names_order_and_values(tmp_path):
    path = str(tmp_path / CLS_LABEL_FILE)
    save_cls_labels(path, _labels())
    assert os.listdir(tmp_path) == ['cls_labels.npz']
    loaded = load_cls_labels(path)
    assert list(loaded) == list(_labels())
    for name, vector in _labels().items():
        assert loaded[name].dtype == np.float32
        np.testing.assert_array_equal(loaded[name], vector)
    # Plain numpy reads it without pickle.
    with np.load(path, allow_pickle=False) as raw:
        assert sorted(raw.files) == ['labels', 'names']
        assert raw['names'].tolist() == list(_labels())
        assert raw['labels'].dtype == np.float32
        assert raw['labels'].shape == (3, 3)


def test_save_refuses_ragged_vectors(tmp_path):
    bad = dict(_labels(), c=np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"cls_labels\.npz.*'c'.*\(2,\)"):
        save_cls_labels(str(tmp_path / CLS_LABEL_FILE), bad)
    assert os.listdir(tmp_path) == []


def test_malformed_npz_is_named(tmp_path):
    path = tmp_path / 'x.npz'
    np.savez(path, names=np.array(['a', 'b']))
    with pytest.raises(ValueError, match=r"x\.npz.*missing.*'labels'"):
        load_cls_labels(str(path))
    np.savez(path, names=np.array(['a', 'a']), labels=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"x\.npz.*'a' appears twice"):
        load_cls_labels(str(path))
    np.savez(path, names=np.array(['a', 'b']), labels=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r'x\.npz.*\[N, C\]'):
        load_cls_labels(str(path))
    np.savez(path, names=np.array(['a']), labels=np.array([['1']]))
    with pytest.raises(ValueError, match=r'x\.npz.*"labels" must hold'):
        load_cls_labels(str(path))
    with pytest.raises(FileNotFoundError, match='nothere.npz'):
        load_cls_labels(str(tmp_path / 'nothere.npz'))


def test_irn_cls_labels_npy_still_loads(tmp_path):
    """cls_labels.npy as IRN ships it: int32 VOC keys, float32 vectors."""
    keys = np.array([2007000032, 2011003276], np.int32)
    eye = np.eye(20, dtype=np.float32)
    vectors = [eye[3], eye[0]]
    np.save(tmp_path / 'cls_labels.npy', dict(zip(keys, vectors)),
            allow_pickle=True)  # IRN's format
    # the default name (.npz) falls back to IRN's file
    path = str(tmp_path / CLS_LABEL_FILE)
    assert find_cls_label_file(path) == str(tmp_path / 'cls_labels.npy')
    loaded = load_cls_labels(path)
    assert list(loaded) == ['2007_000032', '2011_003276']
    np.testing.assert_array_equal(loaded['2007_000032'], vectors[0])
    np.testing.assert_array_equal(loaded['2011_003276'], vectors[1])


def test_irn_format_with_string_names_still_loads(tmp_path):
    np.save(tmp_path / 'l.npy', _labels(), allow_pickle=True)  # IRN's format
    loaded = load_cls_labels(str(tmp_path / 'l.npy'))
    assert list(loaded) == list(_labels())
    for name, vector in _labels().items():
        np.testing.assert_array_equal(loaded[name], vector)


def test_irn_int_name():
    assert irn_int_name(2007000032) == '2007_000032'
    assert irn_int_name(np.int32(2008000002)) == '2008_000002'
    assert irn_int_name(42) == '42'


def test_hostile_cls_labels_npy_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / 'MARKER'
    labels = dict(_labels(), evil=_RunsCommand(marker))
    np.save(tmp_path / 'cls_labels.npy', labels, allow_pickle=True)
    refused = f'{os.system.__module__}.system'
    with pytest.raises(RefusedGlobalError) as info:
        load_cls_labels(str(tmp_path / CLS_LABEL_FILE))  # via the fallback
    message = str(info.value)
    assert str(tmp_path / 'cls_labels.npy') in message
    assert f"'{refused}'" in message
    assert not marker.exists()


def test_hostile_key_is_refused(tmp_path):
    marker = tmp_path / 'MARKER'
    np.save(tmp_path / 'k.npy', {_RunsCommand(marker): np.zeros(3)},
            allow_pickle=True)
    with pytest.raises(RefusedGlobalError, match=r'k\.npy'):
        load_cls_labels(str(tmp_path / 'k.npy'))
    assert not marker.exists()


@pytest.mark.parametrize('value', [np.nan, np.inf, 0.5, -1.0])
def test_labels_other_than_0_and_1_are_named(tmp_path, value):
    path = str(tmp_path / 'cls_labels.npz')
    np.savez(path, names=np.array(['a', 'b']),
             labels=np.array([[1, 0], [0, value]], np.float32))
    with pytest.raises(ValueError, match=r"cls_labels\.npz: the label of 'b'"):
        load_cls_labels(path)
