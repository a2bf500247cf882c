"""tools/run_demo.py: the pipeline's small decisions, on tiny files."""
import importlib.util
import json
import os
import os.path as osp
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

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


def test_pipeline_stops_on_a_degenerate_cam_folder(run_demo, tmp_path,
                                                   monkeypatch):
    """A CAM run whose maps are all background (a collapsed network) stops
    the demo with a message naming the run, before any evaluation, relation
    label or IRN stage runs on it."""
    from mmengine.config import Config

    import rpnet_mmseg.pipeline.runner as runner_module
    from rpnet_mmseg.fileio import cam_path, save_cam
    data = tmp_path / 'data'
    (data / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (data / 'JPEGImages').mkdir()
    (data / 'cls_labels.npz').write_bytes(b'')
    (data / 'ImageSets' / 'Segmentation' / 'train.txt').write_text('a\nb\n')
    calls = []

    def fake_run_stage(argv, cwd, env=None, lock=None):
        calls.append(argv[1])
        if argv[1] == 'tools/train.py':
            work = argv[argv.index('--work-dir') + 1]
            os.makedirs(work, exist_ok=True)
            open(osp.join(work, 'epoch_3.pth'), 'w').close()
        elif argv[1] == 'tools/test.py':
            out = Config.fromfile(argv[2]).test_evaluator.output_dir
            for n in ('a', 'b'):
                save_cam(cam_path(out, n), dict(
                    keys=np.array([3]),
                    high_res=np.zeros((1, 4, 4), np.float32)))
        return 0

    monkeypatch.setattr(runner_module, 'run_stage', fake_run_stage)
    monkeypatch.setattr(sys, 'argv', [
        'run_demo.py', '--data-root', str(data), '--work-dir',
        str(tmp_path / 'work'), '--only', 'rpnet', '--seeds', '2'
    ])
    with pytest.raises(SystemExit) as info:
        run_demo.main()
    message = str(info.value)
    assert 'rpnet seed 2' in message and 'degenerate' in message
    assert calls == ['tools/train.py', 'tools/test.py']


def test_demo_pipeline_of_a_run(run_demo):
    """The demo's own settings go into the shared pipeline config: the
    experiment's CAM config, the seed of every training stage."""
    demo = run_demo.Demo('data/msrc_voc', 'work_dirs/x')
    assert demo.pipeline('baseline', 3, 1.0).work_dir == \
        'work_dirs/x/baseline/seed_3'
    cfg = demo.pipeline('baseline', 3, 0.5)
    # a fraction runs in its own folder: never mixed with the full set's
    assert cfg.work_dir == 'work_dirs/x/baseline/fraction_0.5/seed_3'
    assert cfg.stages.cam_train.config == run_demo.EXPERIMENTS['baseline'][0]
    assert cfg.stages.cams.config == cfg.stages.cam_train.config
    assert cfg.stages.cam_train.cfg_options == {
        'randomness.seed': 3,
        'train_dataloader.dataset.subset_fraction': 0.5,
        'train_dataloader.dataset.subset_seed': 3
    }
    assert cfg.stages.irn_train.cfg_options == {'randomness.seed': 3}
    assert cfg.stages.seg_train.cfg_options['randomness.seed'] == 3
    assert cfg.stages.seg_train.cfg_options[
        'model.backbone.init_cfg.checkpoint'] == '{cam_train}'


def test_record_run_lists_every_run_and_summarizes_the_full_set(run_demo):
    def run(model, fraction, seed, cv, **extra):
        return dict(model=model, fraction=fraction, seed=seed,
                    cam_dir=f'{model}/{fraction}/{seed}', cam_miou=cv,
                    cam_miou_cv=cv, cam_miou_fixed_t=cv, **extra)

    summary = {}
    for r in [run('rpnet', 1.0, 0, 60.0, pseudo_label_miou=70.0,
                  pseudo_label_miou_half1=71.0, cam_crf_miou_cv=66.0),
              run('rpnet', 1.0, 1, 62.0),
              run('rpnet', 0.5, 0, 50.0), run('rpnet', 0.5, 1, 54.0),
              run('rpnet', 0.5, 1, 56.0)]:  # a rerun replaces its entry
        run_demo.record_run(summary, r['model'], r)
    assert [(r['fraction'], r['seed']) for r in summary['data_volume']] == [
        (0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    # only the full training set makes the experiment's runs
    assert [r['seed'] for r in summary['rpnet']['runs']] == [0, 1]
    assert summary['rpnet']['cam_miou_cv']['mean'] == pytest.approx(61.0)
    # pseudo-label numbers over the refined seeds only
    assert summary['rpnet']['pseudo_label_miou'] == {
        'mean': 70.0, 'std': 0.0, 'n': 1}
    table = run_demo.data_volume_table(summary['data_volume'])
    assert table['rpnet']['0.5']['mean'] == pytest.approx(53.0)
    assert table['rpnet']['0.5']['std'] == pytest.approx(
        np.std([50, 56], ddof=1))
    assert list(table['rpnet']) == ['1', '0.5']


def test_segmentation_bound_stages_plan(run_demo, tmp_path):
    """--segmentation-bound adds DeepLab on the true masks and on the
    pseudo-labels of train_dev after the demo's stages, from the same CAM
    checkpoint and seed, each tested three ways; a dry run plans them."""
    from rpnet_mmseg.pipeline import PipelineRunner
    demo = run_demo.Demo('data/msrc_voc', str(tmp_path / 'demo'))
    cfg = demo.pipeline('rpnet', 2, 1.0, segmentation_bound=True)
    names = list(cfg.stages)
    assert names[:len(names) - 9] == list(
        demo.pipeline('rpnet', 2, 1.0).stages)
    assert names[-9:] == ['seg_preds_tta_crf'] + [
        f'seg_{key}_{test}' for key in ('true_masks', 'pseudo_same_images')
        for test in ('train', 'preds', 'preds_crf', 'preds_tta_crf')]
    gt = cfg.stages.seg_true_masks_train
    assert gt.cfg_options == cfg.stages.seg_train.cfg_options
    assert gt.cfg_options['randomness.seed'] == 2
    runner = PipelineRunner(cfg, run_demo.ROOT)
    runner.run(dry_run=True)
    assert set(runner.verdicts.values()) == {'new'}
    assert runner.work_dir_of(runner.stage_named('seg_true_masks_train')) == \
        demo.paths('rpnet', 2).root + '/deeplab_traindev_gt'
    assert cfg.stages.seg_true_masks_preds_tta_crf.tta
    assert cfg.stages.seg_true_masks_preds_crf.cfg_options == {
        'model.test_cfg.with_crf': True}


def test_segmentation_bound_result_in_percent(run_demo, tmp_path):
    """The weak networks' mIoU as % of the fully supervised one, per test
    (single scale, + CRF, + TTA + CRF), from the stages' metric files."""
    from rpnet_mmseg.pipeline import PipelineRunner
    demo = run_demo.Demo('data/msrc_voc', str(tmp_path / 'x'))
    runner = PipelineRunner(
        demo.pipeline('rpnet', 0, 1.0, segmentation_bound=True),
        str(tmp_path))
    scores = dict(true_masks=(60.0, 64.0, 66.0),
                  pseudo_same_images=(48.0, 51.2, 52.8))
    for stage in runner.stages:
        if not stage.name.startswith('seg_') or stage.kind != 'test':
            continue
        key = next((k for k in scores if k in stage.name), None)
        test = 2 if 'tta' in stage.name else 1 if 'crf' in stage.name else 0
        miou = scores[key][test] if key else 55.0
        metrics = Path(runner.metrics_json(stage))
        metrics.parent.mkdir(parents=True, exist_ok=True)
        metrics.write_text(json.dumps({'mIoU': miou}))
        runner.write_record(stage.name, {'output': f'{stage.name}/out',
                                         'state': 'done'})
    seg = dict(pred_dir='p', pred_dir_crf='pc', miou=54.0, miou_crf=57.0,
               seg_train_s=1.0)
    bound = run_demo.segmentation_bound_result(runner, seg)
    assert bound['true_masks']['pred_dir_tta_crf'] == \
        'seg_true_masks_preds_tta_crf/out'
    assert bound['pseudo_all']['miou_crf'] == 57.0
    assert bound['pseudo_all']['miou_tta_crf'] == 55.0
    pct = bound['percent_of_fully_supervised']
    assert pct['pseudo_same_images'] == pytest.approx(
        dict(miou=80.0, miou_crf=80.0, miou_tta_crf=80.0))
    assert pct['pseudo_all']['miou'] == pytest.approx(90.0)


def test_refine_and_segment_results_come_from_the_records(run_demo,
                                                          tmp_path):
    """The numbers and folders of a finished run are what the runner
    recorded: a stage's output and its JSON, never a path worked out
    again."""
    from rpnet_mmseg.pipeline import PipelineRunner
    demo = run_demo.Demo('data/msrc_voc', str(tmp_path / 'x'))
    runner = PipelineRunner(demo.pipeline('rpnet', 0, 1.0), str(tmp_path))
    reports = dict(cam_crf_eval_half0={'mIoU': 60.0},
                   cam_crf_eval_half1={'mIoU': 62.0},
                   cam_eval_half0={'best_threshold': 0.3, 'mIoU': 50.0},
                   pseudo_label_eval_half1={'mIoU': 71.0},
                   pseudo_labels={'pseudo/mIoU': 70.0},
                   seg_preds={'mIoU': 54.0}, seg_preds_crf={'mIoU': 57.0})
    for stage in runner.stages:
        out = f'elsewhere/{stage.name}'  # not where the paths would say
        if stage.name in reports:
            path = runner.metrics_json(stage) if stage.kind == 'test' \
                else out + '.json'
            if stage.kind != 'test':
                out = path
            Path(tmp_path, path).parent.mkdir(parents=True, exist_ok=True)
            Path(tmp_path, path).write_text(json.dumps(reports[stage.name]))
        runner.write_record(stage.name, {'output': out, 'state': 'done',
                                         'seconds': 2.0})
    refined = run_demo.refine_result(runner)
    assert refined['pseudo_label_dir'] == 'elsewhere/pseudo_labels'
    assert refined['pseudo_label_miou'] == 70.0
    assert refined['pseudo_label_miou_half1'] == 71.0
    assert refined['cam_crf_miou_cv'] == 61.0
    assert refined['cam_threshold_t0'] == 0.3
    assert refined['irn_train_s'] == 2.0
    seg = run_demo.segment_result(runner, 'rpnet', 0)
    assert seg['pred_dir_crf'] == 'elsewhere/seg_preds_crf'
    assert (seg['miou'], seg['miou_crf']) == (54.0, 57.0)
