"""StageWriter: provenance-checked, resumable, atomic, counted writes."""
import multiprocessing as mp
import os
import signal

import numpy as np
import pytest
from mmseg.structures import SegDataSample

from rpnet_mmseg.evaluation import StageWriter
from rpnet_mmseg.fileio import (STAGE_FILE, StaleOutputError, atomic_write,
                                make_record, read_record)
from rpnet_mmseg.fileio import atomic as atomic_module
from rpnet_mmseg.fileio import written_files

NAMES = [f'im{i}' for i in range(6)]


class ValueWriter(StageWriter):
    """Writes a sample's ``value`` field as ``NAME.npy``."""
    output_suffix = '.npy'

    def write_sample(self, sample, name, path):
        value = np.asarray(sample.get('value'))
        atomic_write(path, lambda f: np.save(f, value, allow_pickle=False))


def sample(name, value):
    s = SegDataSample(metainfo=dict(img_id=name))
    s.set_field(np.full((3, 4), value, np.float32), 'value')
    return s


def run(writer, producer, value=1.0, names=NAMES):
    """One epoch: hand over the producer, write every image, evaluate."""
    if producer is not None:
        writer.set_producer(producer)
    for name in names:
        writer.process(None, [sample(name, value).to_dict()])
    return writer.evaluate(len(names))


def files(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith('.'))


def value_of(folder, name):
    return float(np.load(os.path.join(folder, name + '.npy'))[0, 0])


P1 = make_record('x', extra={'weights': 'epoch1'})
P2 = make_record('x', extra={'weights': 'epoch2'})


def test_needs_suffix_and_valid_on_stale(tmp_path):

    class NoSuffix(StageWriter):
        pass

    with pytest.raises(TypeError, match='output_suffix'):
        NoSuffix(str(tmp_path))
    with pytest.raises(ValueError, match='on_stale'):
        ValueWriter(str(tmp_path), on_stale='skip')


def test_same_producer_resumes(tmp_path):
    out = str(tmp_path / 'out')
    assert run(
        ValueWriter(out), P1, names=NAMES[:2]) == {
            'num_written': 2,
            'num_skipped': 0
        }
    # Same producer, later: finished files kept, the others written.
    assert run(
        ValueWriter(out), P1, value=9.0) == {
            'num_written': 4,
            'num_skipped': 2
        }
    assert files(out) == [n + '.npy' for n in NAMES]
    assert value_of(out, 'im0') == 1.0 and value_of(out, 'im5') == 9.0
    record = read_record(out)
    assert record['stage'] == 'ValueWriter'
    assert record['extra'] == {'weights': 'epoch1'}


def test_other_producer_error_names_folder_and_producers(tmp_path):
    out = str(tmp_path / 'out')
    run(ValueWriter(out), P1)
    writer = ValueWriter(out)
    with pytest.raises(StaleOutputError) as info:
        run(writer, P2, value=2.0)
    msg = str(info.value)
    assert out in msg and 'epoch1' in msg and 'epoch2' in msg
    assert all(value_of(out, n) == 1.0 for n in NAMES)


def test_overwrite_recomputes_every_file(tmp_path):
    out = str(tmp_path / 'out')
    run(ValueWriter(out), P1)
    writer = ValueWriter(out, on_stale='overwrite')
    assert run(writer, P2, value=2.0) == {'num_written': 6, 'num_skipped': 0}
    assert all(value_of(out, n) == 2.0 for n in NAMES)
    assert read_record(out)['extra'] == {'weights': 'epoch2'}


def test_overwrite_never_deletes_what_the_dataset_skipped(tmp_path):
    """A folder that is also the dataset's skip_done_dir: its images did
    not run, so another producer's files are refused, not deleted."""
    out = str(tmp_path / 'out')
    run(ValueWriter(out), P1)
    writer = ValueWriter(out, on_stale='overwrite')
    with pytest.raises(StaleOutputError, match="dataset's skip_done_dir"):
        writer.set_producer(P2, dataset_skips=True)
    assert all(value_of(out, n) == 1.0 for n in NAMES)
    writer.set_producer(P1, dataset_skips=True)  # its own files: resumed
    assert writer.folder_mode == 'resume'


def test_overwrite_deletes_only_what_it_wrote(tmp_path):
    out = str(tmp_path / 'out')
    run(ValueWriter(out), P1, names=NAMES[:3])
    listed = {n + '.npy' for n in NAMES[:3]}
    assert written_files(out) == listed
    # Written by a user, not by a writer: kept, and the folder refused.
    np.save(os.path.join(out, 'users.npy'), np.zeros(2))
    with pytest.raises(StaleOutputError, match='users.npy'):
        run(ValueWriter(out, on_stale='overwrite'), P2, value=2.0)
    assert files(out) == sorted(listed | {'users.npy'})
    assert all(value_of(out, n) == 1.0 for n in NAMES[:3])


def test_same_writer_over_epochs_forgets_the_producer(tmp_path):
    """A val loop: the producer of epoch 1 is not reused in epoch 2."""
    out = str(tmp_path / 'out')
    writer = ValueWriter(out, on_stale='overwrite')
    assert run(writer, P1, 1.0)['num_written'] == 6
    assert writer.producer is None and writer.folder_mode is None
    assert run(writer, P2, 2.0)['num_written'] == 6
    assert value_of(out, 'im3') == 2.0
    # No producer handed over (no hook): unknown, recomputes everything.
    assert run(writer, None, 3.0)['num_written'] == 6
    assert value_of(out, 'im3') == 3.0
    assert read_record(out)['producer'] == 'unknown'


def test_unknown_producer_refuses_existing_outputs(tmp_path):
    out = str(tmp_path / 'out')
    assert run(ValueWriter(out), None)['num_written'] == 6
    with pytest.raises(StaleOutputError, match='StageProvenanceHook'):
        run(ValueWriter(out), None, 2.0)
    assert all(value_of(out, n) == 1.0 for n in NAMES)


def _killed_run(out, kill_at):
    """Child process: write images, SIGKILL itself in the middle of one."""
    calls = []
    real_save = np.save

    def save(f, obj, allow_pickle=True):
        calls.append(1)
        if len(calls) == kill_at:
            f.write(b'\x93NUMPY partial')
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        real_save(f, obj, allow_pickle=allow_pickle)

    atomic_module.np.save = save
    writer = ValueWriter(out)
    writer.set_producer(P1)
    for i, name in enumerate(NAMES):
        writer.process(None, [sample(name, float(i)).to_dict()])


def _write_reference(tmp_path):
    ref, out = str(tmp_path / 'ref'), str(tmp_path / 'out')
    writer = ValueWriter(ref)
    writer.set_producer(P1)
    for i, name in enumerate(NAMES):
        writer.process(None, [sample(name, float(i)).to_dict()])
    return ref, out


def test_killed_then_rerun_gives_identical_files(tmp_path):
    ref, out = _write_reference(tmp_path)
    child = mp.get_context('fork').Process(target=_killed_run, args=(out, 4))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    # Killed while writing the 4th file: 3 finished files and its
    # temporary file, never a partial NAME.npy.
    assert files(out) == [n + '.npy' for n in NAMES[:3]]
    assert f'.im3.npy.tmp.{child.pid}' in os.listdir(out)
    # The re-run (same producer) resumes and finishes the folder.
    writer = ValueWriter(out)
    writer.set_producer(P1)
    for i, name in enumerate(NAMES):
        writer.process(None, [sample(name, float(i)).to_dict()])
    assert writer.evaluate(len(NAMES)) == {'num_written': 3, 'num_skipped': 3}
    assert files(out) == files(ref)
    for name in files(ref):
        with open(os.path.join(ref, name),
                  'rb') as a, open(os.path.join(out, name), 'rb') as b:
            assert a.read() == b.read(), name
    assert read_record(out)['extra'] == read_record(ref)['extra']
    assert STAGE_FILE in os.listdir(out)
