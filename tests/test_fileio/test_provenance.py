"""fileio.provenance: a stage folder records what produced it."""
import hashlib
import json
import os

import pytest
import torch
from mmengine.config import Config

from rpnet_mmseg.fileio import (STAGE_FILE, StaleOutputError, check_or_record,
                                file_sha1, make_record, note_written,
                                read_record, record_changes, same_producer,
                                unknown_producer, unrooter, weights_sha1,
                                written_files)
from rpnet_mmseg.fileio.provenance import record_config


def _producer(seed=0, stage='CAMWriter'):
    torch.manual_seed(seed)
    return make_record(
        stage, checkpoint='work/epoch_1.pth', model=torch.nn.Linear(3, 2))


def _touch(folder, *names):
    """Files a user put there (no writer listed them)."""
    for name in names:
        (folder / name).write_bytes(b'x')


def _write(folder, *names, writer=None):
    """Files as a writer writes them: listed, then written."""
    note_written(str(folder), names, writer=writer)
    _touch(folder, *names)


def test_record_written_atomically_and_readable(tmp_path):
    out = tmp_path / 'cams'
    producer = _producer()
    assert check_or_record(str(out), producer, suffix='.npy') == 'new'
    assert sorted(os.listdir(out)) == [STAGE_FILE]
    record = json.loads((out / STAGE_FILE).read_text())
    assert record == read_record(str(out))
    assert record['stage'] == 'CAMWriter'
    assert record['checkpoint'] == 'work/epoch_1.pth'
    assert len(record['weights_sha1']) == 40
    for key in ('created', 'rpnet_mmseg_version'):
        assert key in record


def test_same_producer_resumes(tmp_path):
    out = tmp_path / 'cams'
    check_or_record(str(out), _producer(), suffix='.npy')
    _write(out, 'a.npy', 'b.npy')
    # Created later, other checkpoint path: the same weights still match.
    again = dict(_producer(), created='later', checkpoint='moved.pth')
    assert check_or_record(str(out), again, suffix='.npy') == 'resume'
    assert _visible(out) == ['a.npy', 'b.npy']


def test_other_producer_is_an_error_naming_folder_and_both(tmp_path):
    out = tmp_path / 'cams'
    check_or_record(str(out), _producer(seed=0), suffix='.npy')
    _write(out, 'a.npy')
    old_sha = read_record(str(out))['weights_sha1']
    new = _producer(seed=1)
    with pytest.raises(StaleOutputError) as info:
        check_or_record(str(out), new, suffix='.npy')
    msg = str(info.value)
    assert str(out) in msg
    assert old_sha[:12] in msg and new['weights_sha1'][:12] in msg
    assert "on_stale='overwrite'" in msg and 'another output_dir' in msg
    # Nothing changed on disk.
    assert read_record(str(out))['weights_sha1'] == old_sha
    assert _visible(out) == ['a.npy']


def test_overwrite_deletes_outputs_and_rerecords(tmp_path):
    out = tmp_path / 'cams'
    check_or_record(str(out), _producer(seed=0), suffix='.npy')
    # Two ranks, each with its own manifest.
    _write(out, 'a.npy', writer='rank0')
    _write(out, 'b.npy', writer='rank1')
    _touch(out, 'notes.txt')
    new = _producer(seed=1)
    assert check_or_record(
        str(out), new, on_stale='overwrite', suffix='.npy') == 'overwrite'
    # Only the writers' listed outputs go, and their manifests.
    assert sorted(os.listdir(out)) == [STAGE_FILE, 'notes.txt']
    assert read_record(str(out))['weights_sha1'] == new['weights_sha1']
    # A re-run of the new producer (e.g. after a kill) resumes.
    assert check_or_record(str(out), new, suffix='.npy') == 'resume'


def test_files_without_record_are_of_unknown_origin(tmp_path):
    _touch(tmp_path, 'a.npy')
    with pytest.raises(StaleOutputError, match='1 .npy file.*unknown origin'):
        check_or_record(str(tmp_path), _producer(), suffix='.npy')
    # Files of another kind do not count.
    assert check_or_record(str(tmp_path), _producer(), suffix='.png') == 'new'


def test_record_of_other_producer_without_outputs_is_replaced(tmp_path):
    check_or_record(str(tmp_path), _producer(seed=0), suffix='.npy')
    new = _producer(seed=1)
    assert check_or_record(str(tmp_path), new, suffix='.npy') == 'new'
    assert read_record(str(tmp_path))['weights_sha1'] == new['weights_sha1']


def test_unknown_producer_never_resumes(tmp_path):
    unknown = unknown_producer('CAMWriter')
    assert not same_producer(unknown, unknown)
    assert check_or_record(str(tmp_path), unknown, suffix='.npy') == 'new'
    _write(tmp_path, 'a.npy')
    with pytest.raises(StaleOutputError, match='StageProvenanceHook'):
        check_or_record(str(tmp_path), unknown, suffix='.npy')
    assert check_or_record(
        str(tmp_path), unknown, on_stale='overwrite',
        suffix='.npy') == 'overwrite'
    assert os.listdir(tmp_path) == [STAGE_FILE]
    # A known producer refuses the unknown one's outputs too.
    _write(tmp_path, 'a.npy')
    with pytest.raises(StaleOutputError, match='unknown config'):
        check_or_record(str(tmp_path), _producer(), suffix='.npy')


def _visible(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith('.'))


MASKS = [f'2007_{i:06d}.png' for i in range(8)]


@pytest.mark.parametrize('on_stale', ['error', 'overwrite'])
def test_folder_of_foreign_files_is_refused_and_kept(tmp_path, on_stale):
    """A copy of SegmentationClass/ given as an output folder."""
    out = tmp_path / 'SegmentationClass'
    out.mkdir()
    _touch(out, *MASKS)
    with pytest.raises(StaleOutputError) as info:
        check_or_record(str(out), _producer(), on_stale, suffix='.png')
    msg = str(info.value)
    assert str(out) in msg and '8 .png file(s)' in msg
    assert MASKS[0] in msg and MASKS[4] in msg and MASKS[5] not in msg
    assert _visible(out) == MASKS
    assert not os.path.exists(out / STAGE_FILE)


def test_overwrite_keeps_foreign_files_next_to_a_stale_record(tmp_path):
    out = tmp_path / 'labels'
    old = _producer(seed=0)
    check_or_record(str(out), old, suffix='.png')
    _write(out, 'mine.png')
    _touch(out, *MASKS[:2])  # a user's masks, copied in later
    with pytest.raises(StaleOutputError) as info:
        check_or_record(
            str(out), _producer(seed=1), on_stale='overwrite', suffix='.png')
    msg = str(info.value)
    assert str(out) in msg and '2 .png file(s)' in msg and MASKS[1] in msg
    assert 'mine.png' not in msg
    # Nothing deleted, the old record kept.
    assert _visible(out) == sorted(MASKS[:2] + ['mine.png'])
    assert read_record(str(out))['weights_sha1'] == old['weights_sha1']
    # Moved away, the folder is overwritten: the listed file goes.
    for name in MASKS[:2]:
        os.remove(out / name)
    assert check_or_record(
        str(out), _producer(seed=1), on_stale='overwrite',
        suffix='.png') == 'overwrite'
    assert _visible(out) == []


def test_same_producer_does_not_resume_over_foreign_files(tmp_path):
    out = tmp_path / 'cams'
    check_or_record(str(out), _producer(), suffix='.npy')
    _write(out, 'a.npy')
    _touch(out, 'b.npy')
    with pytest.raises(StaleOutputError, match='b.npy'):
        check_or_record(str(out), _producer(), suffix='.npy')
    assert _visible(out) == ['a.npy', 'b.npy']


def test_manifest_names_never_leave_the_folder(tmp_path):
    out = tmp_path / 'cams'
    victim = tmp_path / 'victim.npy'
    victim.write_bytes(b'x')
    check_or_record(str(out), _producer(seed=0), suffix='.npy')
    for bad in ('../victim.npy', str(victim), '.hidden.npy', ''):
        with pytest.raises(ValueError, match='cannot list'):
            note_written(str(out), [bad])
    # A hand-edited manifest: lines with a folder part are no names.
    _write(out, 'a.npy')
    with open(out / '.rpnet_written.rank0.txt', 'a') as f:
        f.write(f'../victim.npy\n{victim}\n')
    assert written_files(str(out)) == {'a.npy'}
    check_or_record(
        str(out), _producer(seed=1), on_stale='overwrite', suffix='.npy')
    assert victim.exists() and _visible(out) == []


def test_bad_on_stale_and_corrupt_record(tmp_path):
    with pytest.raises(ValueError, match="on_stale.*'keep'"):
        check_or_record(str(tmp_path), _producer(), on_stale='keep')
    (tmp_path / STAGE_FILE).write_text('{not json')
    with pytest.raises(ValueError, match=STAGE_FILE):
        check_or_record(str(tmp_path), _producer())


def test_file_sha1_is_sha1_of_the_bytes(tmp_path):
    data = os.urandom(3 << 20)
    (tmp_path / 'ckpt.pth').write_bytes(data)
    assert file_sha1(
        str(tmp_path / 'ckpt.pth'),
        chunk_size=1000) == hashlib.sha1(data).hexdigest()
    record = make_record('x', checkpoint=str(tmp_path / 'ckpt.pth'))
    assert record['checkpoint_sha1'] == hashlib.sha1(data).hexdigest()


def test_weights_sha1_follows_the_weights():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    first = weights_sha1(model)
    assert weights_sha1(model.state_dict()) == first
    with torch.no_grad():
        model[0].weight[0, 0] += 1e-6
    second = weights_sha1(model)
    assert second != first
    model[1].num_batches_tracked += 1  # buffers count too
    assert weights_sha1(model) not in (first, second)


CFG = dict(
    model=dict(type='M', depth=18, test_cfg=dict(scales=(1.0, ))),
    work_dir='w1',
    launcher='none',
    load_from='a.pth',
    test_dataloader=dict(
        batch_size=1,
        num_workers=2,
        dataset=dict(
            # declares skip_done_dir as a selection argument
            type='ImageLevelSegDataset',
            ann_file='train.txt',
            pipeline=[dict(type='Load')],
            indices=7,
            skip_done_dir='cams')),
    test_evaluator=dict(type='CAMWriter', output_dir='cams'))


def _variant(**changes):
    cfg = Config(CFG)
    cfg.merge_from_dict(changes)
    return cfg


def test_record_config_ignores_how_a_run_is_launched():
    loop = 'test'
    base = record_config(Config(CFG), loop)
    same = {
        'work_dir': 'w2',
        'launcher': 'pytorch',
        'load_from': 'b.pth',
        'test_dataloader.batch_size': 4,
        'test_dataloader.num_workers': 0,
        'test_dataloader.dataset.indices': None,
        'test_dataloader.dataset.skip_done_dir': None,
        'test_dataloader.dataset.ann_file': 'val.txt',
        'test_evaluator.on_stale': 'overwrite',
    }
    for key, value in same.items():
        assert record_config(_variant(**{key: value}), loop) == base, key
    differ = {
        'model.depth': 50,
        'model.test_cfg.scales': (1.0, 0.5),
        'test_dataloader.dataset.pipeline': [dict(type='Load', x=1)],
    }
    for key, value in differ.items():
        assert record_config(_variant(**{key: value}), loop) != base, key


def test_selection_args_are_declared_by_the_dataset_class():
    """A dataset class names the arguments that only select images; an
    argument it does not declare changes the identity (a loud mismatch,
    never a silent reuse)."""
    from mmengine.dataset import BaseDataset

    from rpnet_mmseg.datasets import ImageLevelSegDataset
    from rpnet_mmseg.fileio.provenance import (BASE_SELECTION_ARGS,
                                               selection_args)

    class Picky(BaseDataset):
        selection_args = ('only_red', )

    assert selection_args(Picky) == BASE_SELECTION_ARGS + ('only_red', )
    assert {'subset_fraction', 'subset_seed', 'skip_done_dir'} <= set(
        selection_args('ImageLevelSegDataset'))
    assert selection_args(ImageLevelSegDataset) == selection_args(
        'ImageLevelSegDataset')
    # unknown or undeclaring classes: mmengine's own arguments only
    assert selection_args('NoSuchDataset') == BASE_SELECTION_ARGS
    cfg = dict(model=dict(type='M'), test_dataloader=dict(dataset=dict(
        type=Picky, pipeline=[], only_red=True, tint=1)))
    base = record_config(cfg, 'test')
    cfg['test_dataloader']['dataset']['only_red'] = False
    assert record_config(cfg, 'test') == base
    cfg['test_dataloader']['dataset']['tint'] = 2
    assert record_changes({'config': base},
                          {'config': record_config(cfg, 'test')}) == [
                              'config dataset.tint: 1 -> 2']


def test_record_of_a_config_file(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text("model = dict(type='M')\nwork_dir = 'x'\n")
    record = make_record('S', config=str(path), loop='test')
    assert record['config_file'] == str(path)
    assert record['config'] == record_config(
        Config(dict(model=dict(type='M'))), 'test')
    assert record['config']['model.type'] == 'M'


def test_record_changes_name_what_differs():
    old = dict(stage='S', config={'a.b': 1, 'c': 'x'}, data={'d/l.npz': 's1'},
               inputs={'cams': 'h1'}, weights_sha1='w1', created='then',
               checkpoint='e1.pth')
    assert record_changes(old, dict(old, created='now',
                                    checkpoint='e2.pth')) == []
    new = dict(old, config={'a.b': 2, 'c': 'x', 'e': 3},
               data={'d/l.npz': 's2'}, inputs={}, weights_sha1='w2')
    assert record_changes(old, new) == [
        'd/l.npz', 'input cams', 'config a.b: 1 -> 2',
        "config e: '<absent>' -> 3", "weights_sha1: 'w1' -> 'w2'"]
    assert not same_producer(old, new) and same_producer(old, dict(old))


def test_weights_sha1_of_odd_tensors():
    state = {
        'empty': torch.zeros(0),
        'scalar': torch.tensor(3),
        'half': torch.ones(2, dtype=torch.bfloat16),
        'step': 5
    }
    first = weights_sha1(state)
    assert weights_sha1(dict(state, scalar=torch.tensor(4))) != first
    assert weights_sha1(dict(state, step=6)) != first
    # Same values, other dtype: another model.
    assert weights_sha1(dict(state, scalar=torch.tensor(3.))) != first


def test_unrooter_writes_the_run_folders_as_placeholders():
    unrooted = unrooter({'<run>': 'runs/a/', '<cams>': 'runs/a/cams',
                         '<none>': None})
    assert unrooted('runs/a/cams/x.npz') == '<cams>/x.npz'  # longest first
    assert unrooted("dict(d='runs/a', e=runs/a)") == "dict(d='<run>', e=<run>)"
    assert unrooted('runs/a_other/x') == 'runs/a_other/x'  # another folder
    assert unrooted(3) == 3
