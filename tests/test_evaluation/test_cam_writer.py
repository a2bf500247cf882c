"""CAMWriter: IRN's arrays in .npz, atomic writes, resume, shape checks."""
import os

import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from rpnet_mmseg.evaluation import CAMWriter
from rpnet_mmseg.fileio import STAGE_FILE, make_record
from rpnet_mmseg.fileio import atomic as atomic_module


def make_sample(name='img1', keys=(0, 2), size=(8, 12), stride_size=(2, 3),
                high_res_k=None, with_id=True):
    """A SegDataSample as the CAM model's predict returns it."""
    num = len(keys)
    gen = torch.Generator().manual_seed(0)
    metainfo = dict(img_path=f'/data/JPEGImages/{name}.jpg', ori_shape=size)
    if with_id:
        metainfo['img_id'] = name
    sample = SegDataSample(metainfo=metainfo)
    sample.set_data({
        'cam_keys': torch.tensor(keys, dtype=torch.long),
        'cam': torch.rand((num, ) + stride_size, generator=gen),
        'high_res': torch.rand(
            (num if high_res_k is None else high_res_k, ) + size,
            generator=gen),
    })
    return sample


def load(path):
    """The arrays of a CAM file, read with plain numpy and no pickle."""
    with np.load(path, allow_pickle=False) as f:
        return dict(f)


def outputs(folder):
    """The finished files of a folder (no record, no temporary file)."""
    return sorted(n for n in os.listdir(folder) if not n.startswith('.'))


def test_writes_irn_arrays_without_pickle(tmp_path):
    writer = CAMWriter(str(tmp_path / 'cams'))
    sample = make_sample()
    writer.process(None, [sample.to_dict()])
    assert sorted(os.listdir(tmp_path / 'cams')) == [
        STAGE_FILE, '.rpnet_written.rank0.txt', 'img1.npz'
    ]
    saved = load(tmp_path / 'cams' / 'img1.npz')
    assert set(saved) == {'keys', 'cam', 'high_res'}
    assert saved['keys'].dtype == np.int64
    assert saved['cam'].dtype == np.float32
    assert saved['high_res'].dtype == np.float32
    np.testing.assert_array_equal(saved['keys'], [0, 2])
    assert saved['cam'].shape == (2, 2, 3)
    assert saved['high_res'].shape == (2, 8, 12)
    np.testing.assert_array_equal(saved['high_res'], sample.high_res.numpy())
    assert writer.compute_metrics(writer.results) == {
        'num_written': 1,
        'num_skipped': 0
    }


def test_name_from_img_path_and_sample_objects(tmp_path):
    writer = CAMWriter(str(tmp_path))
    # A SegDataSample (not a dict) without img_id: named after img_path.
    writer.process(None, [make_sample('2007_000032', with_id=False)])
    assert (tmp_path / '2007_000032.npz').is_file()


def test_existing_file_of_same_producer_skipped_not_rewritten(tmp_path):
    producer = make_record('run', extra={'weights': 1})
    first = CAMWriter(str(tmp_path))
    first.set_producer(producer)
    first.process(None, [make_sample('img1')])
    before = os.stat(tmp_path / 'img1.npz').st_mtime_ns
    writer = CAMWriter(str(tmp_path))
    writer.set_producer(producer)
    other = make_sample('img1', keys=(5, ))
    writer.process(None, [other, make_sample('img2')])
    assert os.stat(tmp_path / 'img1.npz').st_mtime_ns == before
    np.testing.assert_array_equal(load(tmp_path / 'img1.npz')['keys'], [0, 2])
    assert outputs(tmp_path) == ['img1.npz', 'img2.npz']
    assert writer.compute_metrics(writer.results) == {
        'num_written': 1,
        'num_skipped': 1
    }


def test_files_of_unknown_origin_refused(tmp_path):
    """A file without a record is not taken for a finished output."""
    np.savez(tmp_path / 'img1.npz', keys=np.array([5]))
    with pytest.raises(RuntimeError, match='unknown origin'):
        CAMWriter(str(tmp_path)).process(None, [make_sample('img1')])
    np.testing.assert_array_equal(load(tmp_path / 'img1.npz')['keys'], [5])


def test_counts_summed_over_ranks(tmp_path):
    """Every rank writes its own images; counts add up after collection."""
    rank0, rank1 = CAMWriter(str(tmp_path)), CAMWriter(str(tmp_path))
    producer = make_record('run', extra={'weights': 1})
    rank0.set_producer(producer)  # as StageProvenanceHook does on each rank
    rank1.set_producer(producer)
    rank0.process(None, [make_sample('a'), make_sample('b')])
    rank1.process(None, [make_sample('c'), make_sample('a')])  # a: padding
    assert outputs(tmp_path) == ['a.npz', 'b.npz', 'c.npz']
    counts = rank0.compute_metrics(rank0.results + rank1.results)
    assert counts == {'num_written': 3, 'num_skipped': 1}


def test_k_mismatch_raises(tmp_path):
    writer = CAMWriter(str(tmp_path))
    with pytest.raises(ValueError, match='img1.*high_res.*K = len'):
        writer.process(None, [make_sample(high_res_k=3)])
    assert outputs(tmp_path) == []


def test_keys_length_mismatch_raises(tmp_path):
    sample = make_sample()
    sample.cam_keys = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match='img1.*"cam".*K = len\\(keys\\) '
                       '= 3'):
        CAMWriter(str(tmp_path)).process(None, [sample])


def test_high_res_size_mismatch_raises(tmp_path):
    sample = make_sample()
    sample.set_metainfo(dict(ori_shape=(9, 12)))
    with pytest.raises(ValueError, match=r'img1.*\(8, 12\).*\(9, 12\)'):
        CAMWriter(str(tmp_path)).process(None, [sample])
    assert outputs(tmp_path) == []


def test_missing_field_raises(tmp_path):
    sample = SegDataSample(metainfo=dict(img_id='img9', ori_shape=(2, 2)))
    with pytest.raises(ValueError, match='img9.*cam_keys'):
        CAMWriter(str(tmp_path)).process(None, [sample])


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    """A crash mid-write leaves neither a final nor a temporary file."""

    def broken_savez(f, **arrays):
        f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(atomic_module.np, 'savez', broken_savez)
    with pytest.raises(OSError, match='disk full'):
        CAMWriter(str(tmp_path)).process(None, [make_sample()])
    assert sorted(os.listdir(tmp_path)) == [
        STAGE_FILE, '.rpnet_written.rank0.txt'
    ]


def test_on_stale_validated_and_registered_args(tmp_path):
    with pytest.raises(ValueError, match="on_stale.*'later'"):
        CAMWriter(str(tmp_path), on_stale='later')
    writer = CAMWriter(str(tmp_path), on_stale='overwrite')
    assert writer.stage == 'CAMWriter' and writer.output_suffix == '.npz'
