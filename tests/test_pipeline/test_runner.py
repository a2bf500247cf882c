"""PipelineRunner: a stage reruns exactly when its outputs are out of date."""
import json
import os

import pytest

from rpnet_mmseg.pipeline import PipelineRunner, StageFailedError


def _run(cfg, tmp_path):
    runner = PipelineRunner(cfg, str(tmp_path))
    runner.run()
    return runner


def test_second_run_skips_everything(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    runner = _run(make_cfg(), tmp_path)
    assert calls() == ['make', 'sum']
    assert runner.verdicts == {'make': 'new', 'total': 'new'}
    runner = _run(make_cfg(), tmp_path)
    assert calls() == ['make', 'sum']
    assert runner.verdicts == {'make': 'done', 'total': 'done'}
    assert runner.results() == [('total', 'sum', 3.0)]  # 0 + 1 + 2
    assert 'total' in runner.table() and '3.00' in runner.table()


def test_finished_outputs_are_read_from_the_records(script_pipeline,
                                                    tmp_path):
    """What a summary reads (run_demo) comes from the runner's records."""
    make_cfg, calls = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    runner.run(until='make')
    assert runner.output('make').endswith('made')
    with pytest.raises(StageFailedError, match="'total' has not finished"):
        runner.json_of('total')
    runner = _run(make_cfg(), tmp_path)
    assert runner.json_of('total')['mIoU'] == 3.0
    assert runner.config_file('total').endswith('.pipeline/configs/total.py')


def test_changed_upstream_reruns_what_reads_it(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    runner = _run(make_cfg(scale=2), tmp_path)
    assert calls() == ['make', 'sum', 'make', 'sum']
    assert runner.verdicts == {'make': 'changed', 'total': 'changed'}
    assert runner.results() == [('total', 'sum', 6.0)]


def test_changed_downstream_reruns_only_itself(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    runner = _run(make_cfg(extra='--again'), tmp_path)
    assert calls() == ['make', 'sum', 'sum']
    assert runner.verdicts == {'make': 'done', 'total': 'changed'}


def test_damaged_output_is_rebuilt_alone(script_pipeline, tmp_path):
    """An emptied file is rebuilt; the same content leaves `total` alone."""
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    open(tmp_path / 'run' / 'made' / 'name_2.txt', 'w').close()
    runner = _run(make_cfg(), tmp_path)
    assert runner.verdicts == {'make': 'damaged', 'total': 'done'}
    assert calls() == ['make', 'sum', 'make']
    assert (tmp_path / 'run' / 'made' / 'name_2.txt').read_text() == '2'


def test_edited_output_is_rebuilt(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    (tmp_path / 'run' / 'made' / 'name_1.txt').write_text('10')
    runner = _run(make_cfg(), tmp_path)
    assert runner.verdicts == {'make': 'damaged', 'total': 'done'}
    assert (tmp_path / 'run' / 'made' / 'name_1.txt').read_text() == '1'
    assert runner.results() == [('total', 'sum', 3.0)]


def test_foreign_file_in_an_output_is_refused(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    (tmp_path / 'run' / 'made' / 'mine.txt').write_text('7')
    with pytest.raises(StageFailedError, match='did not write: mine.txt'):
        _run(make_cfg(), tmp_path)
    assert (tmp_path / 'run' / 'made' / 'mine.txt').read_text() == '7'


def test_unfinished_stage_resumes(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    runner.run(until='make')
    record = tmp_path / 'run' / '.pipeline' / 'make.json'
    data = json.loads(record.read_text())
    data['state'] = 'running'  # as if killed before it finished
    record.write_text(json.dumps(data))
    runner = _run(make_cfg(), tmp_path)
    assert runner.verdicts == {'make': 'resume', 'total': 'new'}


def test_from_needs_earlier_stages_done(script_pipeline, tmp_path):
    make_cfg, _ = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    with pytest.raises(StageFailedError, match="'make' is not up to date"):
        runner.run(start='total')


def test_failing_stage_names_itself(script_pipeline, tmp_path):
    make_cfg, _ = script_pipeline
    cfg = make_cfg()
    cfg.stages.make.args[0] = 'crash'  # the tool exits 0 but writes nothing
    runner = PipelineRunner(cfg, str(tmp_path))
    with pytest.raises(StageFailedError,
                       match="'make' finished without its output"):
        runner.run()


def test_unknown_stage_key_is_refused(script_pipeline, tmp_path):
    make_cfg, _ = script_pipeline
    cfg = make_cfg()
    cfg.stages.make.outptu = 'x'
    with pytest.raises(ValueError, match=r"stage 'make': unknown keys"):
        PipelineRunner(cfg, str(tmp_path))


def test_dry_run_runs_nothing(script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    runner.run(dry_run=True)
    assert calls() == []
    assert runner.verdicts == {'make': 'new', 'total': 'new'}
    assert not os.path.exists(tmp_path / 'run' / 'made')


def test_json_values_flow_downstream_and_dry_run_waits(
        script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    cfg = make_cfg()
    tool = cfg.stages.make.script
    cfg.stages.again = dict(kind='script', script=tool,
                            args=['make', '/dev/null', '{root}/again',
                                  '{total[mIoU]:.0f}', '1'],
                            output='{root}/again')
    runner = PipelineRunner(cfg, str(tmp_path))
    runner.run(dry_run=True)  # `again` cannot be planned before `total`
    assert runner.verdicts == {'make': 'new', 'total': 'new', 'again': 'new'}
    runner = PipelineRunner(cfg, str(tmp_path))
    runner.run()
    # sum of 0, 1, 2 is 3: three files
    assert len(os.listdir(tmp_path / 'run' / 'again')) == 3
    record = json.loads((tmp_path / 'run' / '.pipeline' /
                         'again.json').read_text())
    # it reads a value of total's JSON, not the file: the value is in its
    # command (so in its identity); the rest of the JSON is not an input
    assert record['identity']['inputs'] == {}
    assert '3' in record['identity']['command']


def test_stage_order_is_checked(script_pipeline, tmp_path):
    """A template that reads a later stage (e.g. a pipeline file written by
    Config.dump, which sorts keys) is a clear error."""
    make_cfg, _ = script_pipeline
    cfg = make_cfg()
    cfg.stages.total.args = ['sum', '/dev/null', '{root}/made', '{output}',
                             '{later[x]}']
    cfg.stages.later = dict(kind='script', script=cfg.stages.make.script,
                            args=[], output='{root}/later.json')
    with pytest.raises(ValueError, match="stage 'later' comes later"):
        PipelineRunner(cfg, str(tmp_path)).run()


def test_commands_per_launcher(script_pipeline, tmp_path):
    """dist_*.sh above one GPU, slurm_*.sh with --launcher slurm; the
    launch is not part of a stage's identity."""
    from rpnet_mmseg.pipeline import Stage
    make_cfg, _ = script_pipeline
    cfg = make_cfg()
    train = Stage.from_cfg('t', dict(kind='train', config='c.py',
                                     work_dir='irn_work_dir'))
    one = PipelineRunner(cfg, str(tmp_path))
    eight = PipelineRunner(cfg, str(tmp_path), gpus=8)
    slurm = PipelineRunner(cfg, str(tmp_path), gpus=8, launcher='slurm',
                           partition='p')
    assert one.command(train, 'x.py', '', [], {})[1:] == [
        'tools/train.py', 'x.py', '--work-dir', one.paths.irn_work_dir,
        '--resume']
    assert eight.command(train, 'x.py', '', [], {})[:4] == [
        'bash', 'tools/dist_train.sh', 'x.py', '8']
    assert slurm.command(train, 'x.py', '', [], {})[:5] == [
        'bash', 'tools/slurm_train.sh', 'p', 'rpnet_train', 'x.py']
    with pytest.raises(ValueError, match='needs --partition'):
        PipelineRunner(cfg, str(tmp_path), launcher='slurm')


def test_work_dir_templates_and_tta(script_pipeline, tmp_path):
    """A train stage may work in ``{root}/...``; a test stage with
    ``tta=True`` runs ``tools/test.py --tta``, and only a test stage."""
    from rpnet_mmseg.pipeline import Stage
    make_cfg, _ = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    train = Stage.from_cfg('t', dict(kind='train', config='c.py',
                                     work_dir='{root}/deeplab_true_masks'))
    test = Stage.from_cfg('p', dict(kind='test', config='c.py',
                                    checkpoint='t', output='{root}/p',
                                    tta=True))
    runner.stages += [train, test]
    work_dir = runner.root + '/deeplab_true_masks'
    assert runner.command(train, 'x.py', '', [], {})[3:5] == [
        '--work-dir', work_dir]
    argv = runner.command(test, 'y.py', '', [], {'t': {'output': 'c.pth'}})
    assert argv[1:4] == ['tools/test.py', 'y.py', 'c.pth']
    assert argv[argv.index('--work-dir') + 1] == work_dir
    assert argv[-1] == '--tta'
    with pytest.raises(ValueError, match='tta=True is for test stages'):
        Stage.from_cfg('t2', dict(kind='train', config='c.py',
                                  work_dir='irn_work_dir', tta=True))


def test_demo_pipeline_plans_every_stage(tmp_path):
    """The MSRC demo pipeline resolves (the VOC and COCO ones run end to
    end in test_pipeline_configs.py): stage configs load, outputs and
    commands are derived, nothing runs."""
    from rpnet_mmseg.pipeline import load_pipeline
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    path = os.path.join(repo, 'configs', 'pipelines',
                        'rpnet-irn-deeplab_msrc-demo.py')
    runner = PipelineRunner(
        load_pipeline(path, work_dir=str(tmp_path / 'run')), repo)
    runner.run(dry_run=True)
    assert set(runner.verdicts.values()) == {'new'}
    assert list(runner.verdicts)[0] == 'cam_train'
    assert not os.path.exists(tmp_path / 'run' / 'cams')
    columns = [c for _, c, _ in runner.results()]
    assert any(c.startswith('CAM') for c in columns)
    assert any(c.startswith('DeepLab') for c in columns)


def test_a_moved_run_folder_is_up_to_date(script_pipeline, tmp_path):
    """Identities do not hold the run folder's path: a run copied or moved
    elsewhere reruns nothing."""
    import shutil
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    shutil.copytree(tmp_path / 'run', tmp_path / 'moved')
    cfg = make_cfg()
    cfg.work_dir = str(tmp_path / 'moved')
    runner = _run(cfg, tmp_path)
    assert runner.verdicts == {'make': 'done', 'total': 'done'}
    assert calls() == ['make', 'sum']
    # a sibling whose name starts with the run folder's is not the run
    assert runner._unrooted(str(tmp_path / 'moved2' / 'x')) == str(
        tmp_path / 'moved2' / 'x')
    assert runner._unrooted(str(tmp_path / 'moved' / 'x')) == '<run>/x'


def test_inputs_are_what_a_stage_reads(script_pipeline, tmp_path):
    """A runner stage reads nested entries (and load_from); a folder named
    only as a top-level variable (the *_dirs.py bases declare every stage
    folder) is not an input. A script may read any key."""
    from mmengine.config import Config

    from rpnet_mmseg.pipeline import Stage
    make_cfg, _ = script_pipeline
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    made = str(tmp_path / 'run' / 'made')
    done = {'make': dict(output=made, sha1='abc')}
    train = Stage.from_cfg('t', dict(kind='train', config='c.py',
                                     work_dir='irn_work_dir'))
    script = Stage.from_cfg('s', dict(kind='script', script='x.py',
                                      output='{root}/s'))
    declared = Config(dict(made_dir=made, model=dict(depth=1)))
    used = Config(dict(made_dir=made, model=dict(init=made + '/w.pth')))
    loaded = Config(dict(load_from=made, model=dict(depth=1)))
    assert runner._inputs(train, declared, [], set(), done) == {}
    assert runner._inputs(train, used, [], set(), done) == {'make': 'abc'}
    assert runner._inputs(train, loaded, [], set(), done) == {'make': 'abc'}
    assert runner._inputs(script, declared, [], set(), done) == {
        'make': 'abc'}


def test_a_rerun_deletes_nothing_outside_the_run_folder(
        script_pipeline, tmp_path):
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'x.txt').write_text('keep')
    (outside / 'name_0.txt').write_text('keep')
    # a record naming a file outside, and a sub-folder that is a link
    record = tmp_path / 'run' / '.pipeline' / 'make.json'
    data = json.loads(record.read_text())
    data['fingerprint']['files']['../../outside/x.txt'] = [1, 1, 'x']
    data['fingerprint']['files']['sub/name_0.txt'] = [1, 1, 'x']
    record.write_text(json.dumps(data))
    os.symlink(outside, tmp_path / 'run' / 'made' / 'sub')
    runner = PipelineRunner(make_cfg(scale=2), str(tmp_path))
    runner.run(until='make')  # changed: cleared, then run
    assert runner.verdicts['make'] == 'changed'
    assert (outside / 'x.txt').read_text() == 'keep'
    assert (outside / 'name_0.txt').read_text() == 'keep'


def test_records_of_rpnet_mmseg_0_1_are_kept_by_accept_code(
        script_pipeline, tmp_path):
    """A run folder of rpnet_mmseg 0.1 (identities as sha1s, data folders
    by their listing): new code reruns it, unless --accept-code-change,
    which keeps its outputs when nothing else changed and records the
    stage anew."""
    import hashlib
    make_cfg, calls = script_pipeline
    _run(make_cfg(), tmp_path)
    meta = tmp_path / 'run' / '.pipeline'
    for name in ('make', 'total'):  # the records as 0.1 wrote them
        record = json.loads((meta / f'{name}.json').read_text())
        i = record.pop('identity')
        what = dict(kind=i['kind'], config='', inputs=i['inputs'],
                    data=i['data'], args=i['command'], script=i['script'],
                    checkpoint=i['trained_by'], skip_done=i['skip_done'])
        text = json.dumps(what, sort_keys=True)
        record.update(identity='old', code='old code',
                      base_identity=hashlib.sha1(text.encode()).hexdigest())
        (meta / f'{name}.json').write_text(json.dumps(record))
    runner = PipelineRunner(make_cfg(), str(tmp_path))
    runner.run(dry_run=True)
    assert runner.verdicts == {'make': 'changed', 'total': 'changed'}
    runner = PipelineRunner(make_cfg(), str(tmp_path), accept_code=True)
    runner.run()
    assert runner.verdicts == {'make': 'done', 'total': 'done'}
    assert calls() == ['make', 'sum']  # nothing ran again
    assert isinstance(json.loads((meta / 'make.json').read_text())[
        'identity'], dict)
    # another command is not a change of code
    runner = PipelineRunner(make_cfg(n=4), str(tmp_path), accept_code=True)
    runner.run()
    assert runner.verdicts == {'make': 'changed', 'total': 'changed'}
    assert calls() == ['make', 'sum', 'make', 'sum']
