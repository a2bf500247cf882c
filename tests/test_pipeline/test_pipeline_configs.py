"""The shipped VOC-aug and COCO-14 pipeline files, end to end on tiny trees.

The paper configs run as shipped, with their sizes made tiny by each
stage's ``cfg_options`` (``tiny_trees.tiny_pipeline``): every training and
test stage under 2 gloo processes (``dist_train.sh`` / ``dist_test.sh``),
then the reruns a user would cause.
"""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import torch

from rpnet_mmseg.engine import load_checkpoint_file
from rpnet_mmseg.fileio.atomic import pid_alive
from rpnet_mmseg.pipeline import PipelineRunner, load_pipeline
from tiny_trees import build_coco_tree, build_voc_tree, tiny_pipeline

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VOC = osp.join(REPO, 'configs', 'pipelines', 'rpnet-irn-deeplab_voc12aug.py')
COCO = osp.join(REPO, 'configs', 'pipelines', 'rpnet-irn-deeplab_coco14.py')
STAGES = ['cam_train', 'cams', 'cam_eval', 'cam_crf_eval', 'relation_labels',
          'irn_train', 'pseudo_labels', 'seg_train', 'seg_preds',
          'seg_preds_crf']
TRAIN = ('cam_train', 'irn_train', 'seg_train')
COLUMNS = ['CAM', 'CAM + CRF', 'pseudo-labels', 'DeepLab', 'DeepLab + CRF']


def _not_done(runner):
    return sorted(n for n, v in runner.verdicts.items() if v != 'done')


def _check_first_run(runner, out):
    assert list(runner.verdicts) == STAGES
    assert set(runner.verdicts.values()) == {'new'}
    # every training / test stage ran on 2 processes
    assert out.count('$ bash tools/dist_train.sh') == 3
    assert out.count('$ bash tools/dist_test.sh') == 4
    results = runner.results()
    assert [c for _, c, _ in results] == COLUMNS
    assert all(v is not None and 0 <= v <= 100 for _, _, v in results)
    table = runner.table()
    assert all(c in table for c in COLUMNS)


def test_voc12aug_pipeline_reruns_exactly_what_changed(tmp_path, capfd,
                                                       monkeypatch, free_port):
    monkeypatch.setenv('PORT', str(free_port()))  # the launchers' port
    data, run = str(tmp_path / 'VOC2012'), str(tmp_path / 'run')
    build_voc_tree(data)
    cfg = tiny_pipeline(load_pipeline(VOC), run, data)
    runner = PipelineRunner(cfg, REPO, gpus=2)
    runner.run()
    _check_first_run(runner, capfd.readouterr().out)

    # Unchanged: nothing runs.
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    assert _not_done(runner) == []

    # One CAM file emptied, the IRN checkpoint truncated, DeepLab's config
    # changed: the CAM file is rebuilt (the same bytes, so nothing reads
    # it again), IRN retrains, its new checkpoint file reruns the
    # pseudo-labels, and DeepLab and its predictions rerun.
    cam = sorted(n for n in os.listdir(osp.join(run, 'cams'))
                 if n.endswith('.npz'))[0]
    open(osp.join(run, 'cams', cam), 'w').close()
    ckpt = osp.join(run, 'irn', 'epoch_1.pth')
    with open(ckpt, 'r+b') as f:
        f.truncate(osp.getsize(ckpt) // 2)
    for name in ('seg_train', 'seg_preds', 'seg_preds_crf'):
        cfg.stages[name].cfg_options['model.decode_head.dropout_ratio'] = 0.3
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    assert {n: v for n, v in runner.verdicts.items() if v != 'done'} == {
        'cams': 'damaged', 'irn_train': 'damaged', 'pseudo_labels': 'changed',
        'seg_train': 'changed', 'seg_preds': 'changed',
        'seg_preds_crf': 'changed'}
    assert osp.getsize(osp.join(run, 'cams', cam)) > 0

    # Another CAM config: every stage below it reruns.
    cfg.stages.cam_train.cfg_options['optim_wrapper.optimizer.lr'] = 0.05
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    assert set(runner.verdicts.values()) == {'changed'}


def _wait(predicate, timeout=300.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _state(run, stage):
    try:
        with open(osp.join(run, '.pipeline', f'{stage}.json')) as f:
            return json.load(f).get('state')
    except (OSError, ValueError):
        return None


def _processes_of(run):
    """pids whose command line names the run folder (stages, workers)."""
    res = subprocess.run(['pgrep', '-f', run], capture_output=True, text=True)
    return [int(p) for p in res.stdout.split() if int(p) != os.getpid()]


def _record(run, stage):
    with open(osp.join(run, '.pipeline', f'{stage}.json')) as f:
        return json.load(f)


def test_coco14_pipeline_killed_in_every_stage_gives_the_same_outputs(
        tmp_path, capfd, monkeypatch, free_port):
    # Both runs with one thread per process: the thread count changes the
    # floating-point sums, hence the weights.
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    monkeypatch.setenv('PORT', str(free_port()))  # the launchers' port
    data = str(tmp_path / 'coco2014')
    build_coco_tree(data)
    ref = str(tmp_path / 'ref')
    cfg = tiny_pipeline(load_pipeline(COCO), ref, data)
    runner = PipelineRunner(cfg, REPO, gpus=2)
    runner.run()
    _check_first_run(runner, capfd.readouterr().out)

    # The user's way: a pipeline file that inherits the shipped one.
    run = str(tmp_path / 'killed')
    pipeline_file = str(tmp_path / 'pipeline.py')
    with open(pipeline_file, 'w') as f:
        f.write(f'_base_ = [{COCO!r}]\nwork_dir = {run!r}\n'
                f'data_root = {data!r}\nstages = dict(\n')
        for name, stage in cfg.stages.items():
            if stage.get('cfg_options'):
                f.write(f'    {name}=dict(cfg_options='
                        f'{dict(stage.cfg_options)!r}),\n')
        f.write(')\n')
    cmd = [sys.executable, 'tools/run_pipeline.py', pipeline_file, '--gpus',
           '2']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    # kill -9 once in every stage (a second into the long ones; at once in
    # a stage that ends sooner than that), each time the same command again
    # at once, as users do: the new pipeline waits while the dead one's
    # guard stops its stage
    killed = []
    for stage in STAGES:
        log = tmp_path / f'until_{stage}.log'
        with open(log, 'wb') as out:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            # until the stage starts; a pipeline that stops first has failed
            # (a slow machine only makes the wait longer)
            assert _wait(lambda: _state(run, stage) in ('running', 'done')
                         or proc.poll() is not None, 1800), stage
            assert proc.poll() is None or _state(run, stage) == 'done', \
                f'{stage}: the pipeline ended: ' + log.read_text()[-3000:]
            if _state(run, stage) == 'running':
                time.sleep(1.0 if stage in TRAIN or stage == 'cams' else 0.0)
                killed.append(stage)
        finally:
            stage_pids = _processes_of(run)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        # no stage process (torchrun, its workers) outlives the pipeline
        left = _wait(lambda: not any(map(pid_alive, stage_pids)), 60)
        for pid in filter(pid_alive, stage_pids):  # not to disturb later tests
            os.kill(pid, signal.SIGKILL)
        assert left, f'{stage}: processes outlived the pipeline'
    # the long stages cannot end within a second of starting
    assert set(TRAIN) | {'cams'} <= set(killed), killed
    res = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert not _processes_of(run)
    assert 'DeepLab + CRF' in res.stdout
    for stage in STAGES:
        a, b = _record(ref, stage), _record(run, stage)
        assert b['state'] == 'done'
        if stage in TRAIN:  # the same weights (the files hold save times)
            wa = load_checkpoint_file(a['output'])['state_dict']
            wb = load_checkpoint_file(b['output'])['state_dict']
            assert wa.keys() == wb.keys()
            assert all(torch.equal(wa[k], wb[k]) for k in wa), stage
        elif a['output'].endswith('.json'):  # the same numbers
            with open(a['output']) as fa, open(b['output']) as fb:
                ja, jb = json.load(fa), json.load(fb)
            for key in ('cam_dir', 'cam_producer'):  # the run's own paths
                ja.pop(key, None), jb.pop(key, None)
            assert ja == jb, stage
        else:  # the same files, byte for byte
            assert a['fingerprint']['sha1'] == b['fingerprint']['sha1'], stage
