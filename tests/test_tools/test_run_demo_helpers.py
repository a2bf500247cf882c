"""tools/run_demo.py: the pipeline's small decisions, on tiny files."""
import importlib.util
import json
import os
import os.path as osp
import sys
import threading

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def run_demo():
    sys.path.insert(0, REPO)
    try:
        spec = importlib.util.spec_from_file_location(
            'run_demo', osp.join(REPO, 'tools', 'run_demo.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


@pytest.mark.parametrize('t', [0.15, 0.3, 0.5, 0.7])
def test_walked_background_equals_the_cam_at_t(run_demo, t):
    power = run_demo.walked_bg_power(t)
    assert (1 - t)**power == pytest.approx(t)
    # Below t the background wins, above it the class.
    assert (1 - (t - 0.05))**power > t - 0.05
    assert (1 - (t + 0.05))**power < t + 0.05


def test_walked_bg_power_rejects_bad_thresholds(run_demo):
    for t in (0.0, 1.0, -0.2):
        with pytest.raises(ValueError, match='background threshold'):
            run_demo.walked_bg_power(t)


def test_label_dir_miou_by_hand(run_demo, tmp_path):
    root = tmp_path / 'data'
    (root / 'SegmentationClass').mkdir(parents=True)
    labels = tmp_path / 'labels'
    labels.mkdir()
    mask = np.array([[0, 0, 1, 1], [0, 0, 1, 255]], np.uint8)
    pred = np.array([[0, 1, 1, 1], [0, 0, 0, 3]], np.uint8)
    Image.fromarray(mask).save(root / 'SegmentationClass' / 'a.png')
    Image.fromarray(pred).save(labels / 'a.png')
    split = tmp_path / 'split.txt'
    split.write_text('a\n')
    demo = run_demo.Demo(osp.relpath(root, REPO), 'unused')
    got = run_demo.label_dir_miou(demo, osp.relpath(labels, REPO),
                                  osp.relpath(split, REPO), num_classes=4)
    # background: 3 / (4 + 4 - 3) ; class 1: 2 / (3 + 3 - 2); the void
    # pixel is not counted, so class 3 never occurs.
    assert got == pytest.approx(100 * (3 / 5 + 2 / 4) / 2)


def test_cross_validated_miou_uses_the_other_half(run_demo):
    halves = [
        dict(best_threshold=0.3, sweep={'0.30': 60.0, '0.40': 50.0}),
        dict(best_threshold=0.4, sweep={'0.30': 40.0, '0.40': 45.0}),
    ]
    # t from half 0 (0.30) scored on half 1 (40), t from half 1 (0.40)
    # scored on half 0 (50).
    assert run_demo.cross_validated_miou(halves) == pytest.approx(45.0)


def test_update_summary_keeps_concurrent_entries(run_demo, tmp_path):
    path = str(tmp_path / 'summary.json')

    def add(key):
        for i in range(20):
            run_demo.update_summary(
                path, lambda d, i=i: d.setdefault(key, []).append(i))

    threads = [threading.Thread(target=add, args=(k, )) for k in 'ab']
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(path) as f:
        summary = json.load(f)
    assert summary == {'a': list(range(20)), 'b': list(range(20))}


def _flat(tree, prefix=''):
    """Config as {dotted.key: leaf}; list items get their index."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)) and any(
            isinstance(v, (dict, list, tuple)) for v in tree):
        items = ((str(i), v) for i, v in enumerate(tree))
    else:
        return {prefix: tree}
    out = {}
    for k, v in items:
        out.update(_flat(v, f'{prefix}.{k}' if prefix else str(k)))
    return out


@pytest.mark.parametrize('name', ['rpnet', 'baseline'])
def test_default_experiments_differ_from_os16_in_stride_crop_and_clip(
        run_demo, name):
    from mmengine.config import Config
    new = _flat(
        Config.fromfile(osp.join(REPO, run_demo.EXPERIMENTS[name][0])).to_dict())
    old = _flat(
        Config.fromfile(osp.join(REPO, run_demo.EXPERIMENTS[name + '_os16'][0]))
        .to_dict())
    changed = {
        k
        for k in set(new) | set(old)
        if new.get(k) != old.get(k) and not k.endswith('work_dir')
        and k != 'crop_size' and not k.startswith('test_evaluator')
    }
    assert changed == {
        'model.backbone.output_stride', 'model.data_preprocessor.size',
        'train_dataloader.dataset.pipeline.1.scale',
        'train_dataloader.dataset.pipeline.2.crop_size', 'train_pipeline.1.scale',
        'train_pipeline.2.crop_size', 'optim_wrapper.clip_grad.max_norm',
        'optim_wrapper.clip_grad.norm_type'
    }
    assert new['optim_wrapper.clip_grad.max_norm'] == 5.0
    assert new['model.backbone.output_stride'] == 32
    # Images resized in the same proportion to the crop (288 for 192).
    assert tuple(new['train_dataloader.dataset.pipeline.1.scale']) == (384, 384)
    assert tuple(new['model.data_preprocessor.size']) == (256, 256)


def test_skipped_stages_keep_the_time_they_took(run_demo):
    old = dict(seed=0, train_s=518.0, cam_s=320.0, cam_miou=50.0)
    new = dict(seed=0, train_s=0.0, cam_s=0.0, eval_s=41.0, cam_miou=55.0)
    assert run_demo.keep_times([old], new) == dict(
        seed=0, train_s=518.0, cam_s=320.0, eval_s=41.0, cam_miou=55.0)
    assert run_demo.keep_times([], new) == new


def _fake_runner(calls):
    """A stand-in for ``run_demo.run``: records the tool, fakes its output."""

    def fake_run(cmd):
        tool = cmd[1]
        calls.append(tool)
        fake_run.cmds.append(cmd)

        def value(flag):
            return cmd[cmd.index(flag) + 1]

        if tool == 'tools/train.py':
            work = value('--work-dir')
            os.makedirs(work, exist_ok=True)
            name = 'iter_300.pth' if 'deeplab' in cmd[2] else 'epoch_3.pth'
            open(osp.join(work, name), 'w').close()
        elif tool == 'tools/test.py':
            out = [o for o in cmd if o.startswith('test_evaluator')]
            for option in out:
                folder = option.split('=', 1)[1]
                os.makedirs(folder, exist_ok=True)
                for n in ('a', 'b'):
                    Image.fromarray(np.zeros((2, 2), np.uint8)).save(
                        osp.join(folder, n + '.png'))
            with open(value('--out-json'), 'w') as f:
                json.dump({'mIoU': 50.0}, f)
        elif tool == 'tools/eval_cams.py':
            with open(value('--out-json'), 'w') as f:
                json.dump({'mIoU': 60.0, 'best_threshold': 0.3}, f)
        return 1.0

    fake_run.cmds = []
    return fake_run


@pytest.fixture
def killed_run(tmp_path, run_demo, monkeypatch):
    """A run killed while IRN trained: CAMs evaluated, relation labels
    written, no IRN checkpoint, nothing after."""
    data = tmp_path / 'data'
    (data / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (data / 'SegmentationClass').mkdir()
    for split in ('train', 'val'):
        (data / 'ImageSets' / 'Segmentation' / f'{split}.txt').write_text(
            'a\nb\n')
    for n in ('a', 'b'):
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(
            data / 'SegmentationClass' / f'{n}.png')
    demo = run_demo.Demo(str(data), str(tmp_path / 'work'))
    paths = demo.paths('rpnet', 0)
    os.makedirs(paths.relation_label_dir)
    for n in ('a', 'b'):
        open(osp.join(paths.relation_label_dir, n + '.png'), 'w').close()
    for k in (0, 1):
        with open(osp.join(paths.root, f'cam_eval_half{k}.json'), 'w') as f:
            json.dump({'best_threshold': 0.3, 'mIoU': 55.0}, f)
    with open(osp.join(paths.root, 'train_dev_half1.txt'), 'w') as f:
        f.write('b\n')
    os.makedirs(paths.irn_work_dir)  # training started, no checkpoint
    calls = []
    monkeypatch.setattr(run_demo, 'run', _fake_runner(calls))
    return demo, paths, calls


def test_killed_pipeline_resumes_at_its_stage(run_demo, killed_run):
    demo, paths, calls = killed_run
    refined = run_demo.run_refine_stage(demo, 'rpnet', 0)
    # Relation labels were complete: IRN training resumes, then the
    # pseudo-labels, CAM + CRF on both halves, overlays.
    assert calls == [
        'tools/train.py', 'tools/test.py', 'tools/eval_cams.py',
        'tools/eval_cams.py', 'tools/draw_overlays.py'
    ]
    assert refined['relation_label_s'] == 0.0
    assert refined['irn_train_s'] == 1.0 and refined['pseudo_label_s'] == 1.0
    assert refined['cam_threshold_t0'] == 0.3
    assert refined['pseudo_label_miou'] == 50.0
    # A second run finds every output: only the overlays are redrawn.
    calls.clear()
    again = run_demo.run_refine_stage(demo, 'rpnet', 0)
    assert calls == ['tools/draw_overlays.py']
    assert again['irn_train_s'] == again['pseudo_label_s'] == 0.0
    # The segmentation stage: trained (with --resume), tested twice (with
    # and without CRF); then nothing left to do.
    calls.clear()
    seg = run_demo.run_segment_stage(demo, 'rpnet', 0)
    assert calls == ['tools/train.py', 'tools/test.py', 'tools/test.py']
    # Its backbone starts from this run's CAM network.
    train_cmd = run_demo.run.cmds[-3]
    assert ('model.backbone.init_cfg.checkpoint=' +
            paths.cam_checkpoint(3)) in train_cmd
    assert seg['miou'] == seg['miou_crf'] == 50.0
    calls.clear()
    run_demo.run_segment_stage(demo, 'rpnet', 0)
    assert calls == []


def test_pipeline_stops_on_a_degenerate_cam_folder(run_demo, tmp_path,
                                                   monkeypatch):
    """A CAM run whose maps are all background (a collapsed network) stops
    the demo with a message naming the run, before any evaluation, relation
    label or IRN stage runs on it."""
    from rpnet_mmseg.fileio import cam_path, save_cam
    data = tmp_path / 'data'
    (data / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (data / 'JPEGImages').mkdir()
    (data / 'cls_labels.npz').write_bytes(b'')
    (data / 'ImageSets' / 'Segmentation' / 'train.txt').write_text('a\nb\n')
    calls = []

    def fake_run(cmd):
        calls.append(cmd[1])
        if cmd[1] == 'tools/train.py':
            work = cmd[cmd.index('--work-dir') + 1]
            os.makedirs(work, exist_ok=True)
            open(osp.join(work, 'epoch_3.pth'), 'w').close()
        elif cmd[1] == 'tools/test.py':
            out = [o.split('=', 1)[1] for o in cmd
                   if o.startswith('test_evaluator.output_dir=')][0]
            for n in ('a', 'b'):
                save_cam(cam_path(out, n), dict(
                    keys=np.array([3]),
                    high_res=np.zeros((1, 4, 4), np.float32)))
        return 1.0

    monkeypatch.setattr(run_demo, 'run', fake_run)
    monkeypatch.setattr(sys, 'argv', [
        'run_demo.py', '--data-root', str(data), '--work-dir',
        str(tmp_path / 'work'), '--only', 'rpnet', '--seeds', '2'
    ])
    with pytest.raises(SystemExit) as info:
        run_demo.main()
    message = str(info.value)
    assert 'rpnet seed 2' in message and 'degenerate' in message
    assert calls == ['tools/train.py', 'tools/test.py']
