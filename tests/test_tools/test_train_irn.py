"""IRN end to end through mmengine's Runner and the repository's tools.

A tiny ResNet-18 (8 base channels, random and frozen) with IRN's heads
trains on generated relation labels, resumes, writes pseudo-labels with
``tools/test.py`` (one process and two under ``tools/dist_test.sh``) and
draws overlays, all on CPU.
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.runner import Runner

from rpnet_mmseg.engine import load_checkpoint_file
from rpnet_mmseg.fileio import read_mask
from tiny_irn import REPO, build_irn_data, write_config
from tiny_irn import run_tool as _run_tool

AFFINITY_TERMS = ('loss_bg_pos', 'loss_fg_pos', 'loss_neg')
DISPLACEMENT_TERMS = ('loss_dp_fg', 'loss_dp_bg')


@pytest.fixture
def irn_job(tmp_path):
    """Tiny data, stage folders and a config writer for one test."""
    root = str(tmp_path / 'data')
    data = build_irn_data(root, str(tmp_path / 'work'))

    def write(name, epochs=2, norm='BN', out_dir=None):
        return write_config(tmp_path / name, root, data,
                            out_dir or str(tmp_path / 'pseudo_labels'),
                            epochs=epochs, norm=norm)

    return types.SimpleNamespace(
        root=root, tmp=tmp_path, repo=REPO, data=data, write_config=write)


@pytest.fixture
def run_tool():
    """``run_tool(args, script='tools/train.py')`` -> CompletedProcess."""
    return _run_tool


@pytest.fixture(scope='module')
def trained_irn(tmp_path_factory):
    """One epoch of ``tools/train.py`` on the tiny data, shared by a module.

    Returns:
        SimpleNamespace: ``tmp``, ``data``, ``cfg`` (config path), ``work``
        (work dir), ``ckpt`` (the epoch-1 checkpoint) and ``repo``.
    """
    tmp = tmp_path_factory.mktemp('irn_trained')
    data = build_irn_data(str(tmp / 'data'), str(tmp / 'work'))
    cfg = write_config(tmp / 'irn.py', str(tmp / 'data'), data,
                       str(tmp / 'pseudo_labels'), epochs=1)
    work = str(tmp / 'work_dir')
    res = _run_tool([cfg, '--work-dir', work])
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    return types.SimpleNamespace(
        tmp=tmp, data=data, cfg=cfg, work=work, ckpt=ckpt, repo=REPO)


class FixedBatchLoss(Hook):
    """IRN's losses on one fixed batch before and after training.

    The batch is every training image through the training pipeline with a
    fixed seed, so the two numbers differ by the weights only (per-iteration
    losses of random crops of a dozen images are too noisy to compare).
    """

    def __init__(self):
        self.values = []
        self.iterations = 0

    def _losses(self, runner):
        dataset = runner.train_dataloader.dataset
        state = np.random.get_state()
        np.random.seed(123)
        batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
        np.random.set_state(state)
        model = runner.model
        with torch.no_grad():
            data = model.data_preprocessor(batch, True)
            losses = model.loss(data['inputs'], data['data_samples'])
        return {k: v.item() for k, v in losses.items()}

    def before_train(self, runner):
        self.values.append(self._losses(runner))

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.iterations += 1

    def after_train(self, runner):
        self.values.append(self._losses(runner))


def test_real_iterations_loss_falls(irn_job):
    cfg = Config.fromfile(irn_job.write_config('irn.py', epochs=6))
    cfg.work_dir = str(irn_job.tmp / 'work_loss')
    cfg.default_hooks.checkpoint.interval = 100
    cfg.optim_wrapper.optimizer.update(lr=0.3, momentum=0.9)
    runner = Runner.from_cfg(cfg)
    recorder = FixedBatchLoss()
    runner.register_hook(recorder)
    runner.train()
    assert recorder.iterations == 6 * 3  # 12 images, 4 per batch
    before, after = recorder.values
    affinity = [sum(v[k] for k in AFFINITY_TERMS) for v in (before, after)]
    assert affinity[1] < 0.85 * affinity[0], (before, after)
    displacement = [
        sum(v[k] for k in DISPLACEMENT_TERMS) for v in (before, after)
    ]
    assert displacement[1] < 0.9 * displacement[0], (before, after)


def test_resume_continues_training(trained_irn, run_tool):
    trained = trained_irn
    work = str(trained.tmp / 'work_resume')
    shutil.copytree(trained.work, work)
    res = run_tool([
        trained.cfg, '--work-dir', work, '--resume', '--resume-changed',
        '--cfg-options', 'train_cfg.max_epochs=2'
    ])  # a longer schedule is a changed config: --resume-changed
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert 'resumed epoch: 1' in out
    assert 'Epoch(train) [2]' in out and 'Epoch(train) [1]' not in out
    ckpt = load_checkpoint_file(osp.join(work, 'epoch_2.pth'))
    assert ckpt['meta']['epoch'] == 2


def _pngs(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith('.png'))


def test_pseudo_labels_written_evaluated_and_resumed(trained_irn, run_tool):
    trained = trained_irn
    out_dir = str(trained.tmp / 'pl_single')
    data = trained.data
    args = [
        trained.cfg, trained.ckpt, '--work-dir', trained.work, '--cfg-options',
        f'test_evaluator.0.output_dir={out_dir}'
    ]
    res = run_tool(args, script='tools/test.py')
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert _pngs(out_dir) == [n + '.png' for n in data.names]
    for name in data.names:
        label = read_mask(osp.join(out_dir, name + '.png'))
        assert label.shape == (38, 46)
        assert set(np.unique(label)) <= {0} | {k + 1 for k in data.keys[name]}
    # Masks exist for the 6 even images: evaluated; the 6 others skipped.
    assert '6 image(s) with a mask evaluated, 6 without a mask skipped' \
        in out
    assert 'per class results' in out and 'mIoU' in out
    # A second run resumes: every file is kept, none rewritten.
    stamps = {
        n: os.stat(osp.join(out_dir, n)).st_mtime_ns
        for n in _pngs(out_dir)
    }
    again = run_tool(args, script='tools/test.py')
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert stamps == {
        n: os.stat(osp.join(out_dir, n)).st_mtime_ns
        for n in _pngs(out_dir)
    }


def test_dist_test_writes_the_same_pngs(trained_irn, run_tool, free_port):
    trained = trained_irn
    one = str(trained.tmp / 'pl_one')
    two = str(trained.tmp / 'pl_two')
    common = ['--work-dir', trained.work, '--cfg-options']
    res = run_tool(
        [trained.cfg, trained.ckpt] + common +
        [f'test_evaluator.0.output_dir={one}'],
        script='tools/test.py')
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        PYTHONUNBUFFERED='1')
    res = subprocess.run(
        ['bash', 'tools/dist_test.sh', trained.cfg, trained.ckpt, '2'] +
        common + [f'test_evaluator.0.output_dir={two}'],
        cwd=trained.repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert _pngs(one) == _pngs(two) == [n + '.png' for n in trained.data.names]
    for name in _pngs(one):
        assert np.array_equal(
            read_mask(osp.join(one, name)), read_mask(osp.join(two,
                                                               name))), name
    assert 'num_written' in out


def test_missing_cam_stops_naming_the_file(trained_irn, run_tool):
    trained = trained_irn
    cam_dir = str(trained.tmp / 'cams_partial')
    shutil.copytree(trained.data.cam_dir, cam_dir)
    os.remove(osp.join(cam_dir, 'im_03.npz'))
    cfg = Config.fromfile(trained.cfg)
    cfg.test_dataloader.dataset.pipeline[2].cam_dir = cam_dir
    cfg.test_evaluator[0].output_dir = str(trained.tmp / 'pl_missing')
    cfg.work_dir = trained.work
    cfg.load_from = trained.ckpt
    runner = Runner.from_cfg(cfg)
    # ImageLevelSegDataset re-raises pipeline errors naming the image too.
    with pytest.raises((FileNotFoundError, RuntimeError)) as err:
        runner.test()
    assert f"CAM file not found: {osp.join(cam_dir, 'im_03.npz')}" in str(
        err.value)


def test_training_without_relation_labels_names_them(trained_irn, run_tool):
    trained = trained_irn
    rel = str(trained.tmp / 'rel_partial')
    shutil.copytree(trained.data.relation_label_dir, rel)
    for name in ('im_02', 'im_07'):
        os.remove(osp.join(rel, name + '.png'))
    res = run_tool([
        trained.cfg, '--work-dir',
        str(trained.tmp / 'work_norel'), '--cfg-options',
        f'train_dataloader.dataset.pseudo_label_dir={rel}'
    ])
    assert res.returncode != 0
    assert '2 of 12' in res.stderr and 'im_02, im_07' in res.stderr


def test_draw_overlays_cli(trained_irn, run_tool):
    trained = trained_irn
    out_dir = str(trained.tmp / 'pl_single')
    if not osp.isdir(out_dir):  # run alone: write the labels first
        res = run_tool([
            trained.cfg, trained.ckpt, '--work-dir', trained.work,
            '--cfg-options', f'test_evaluator.0.output_dir={out_dir}'
        ],
                       script='tools/test.py')
        assert res.returncode == 0
    sys.path.insert(0, osp.join(trained.repo, 'tools'))
    import draw_overlays
    written = draw_overlays.main([
        trained.cfg, '--num', '3', '--out-dir',
        str(trained.tmp / 'overlays'), '--cfg-options',
        f'test_evaluator.0.output_dir={out_dir}'
    ])
    assert [osp.basename(p)
            for p in written] == ['im_00.png', 'im_04.png', 'im_08.png']
    assert all(osp.getsize(p) > 0 for p in written)


def test_sweep_walk_scores_settings_on_two_halves(trained_irn):
    sys.path.insert(0, osp.join(trained_irn.repo, 'tools', 'analysis_tools'))
    try:
        import sweep_walk
    finally:
        sys.path.pop(0)
    data = trained_irn.data
    root = str(trained_irn.tmp / 'data')
    split = trained_irn.tmp / 'masked.txt'
    split.write_text('\n'.join(data.masked) + '\n')
    out = str(trained_irn.tmp / 'sweep.json')
    report = sweep_walk.main([
        str(trained_irn.cfg), trained_irn.ckpt, '--cam-dir', data.cam_dir,
        '--data-root', root, '--split', str(split), '--num-classes', '4',
        '--img-suffix', '.png', '--exp-times', '2', '4', '--bg-thresholds',
        '0.25', '1.01', '--bg-powers', '2', '--crf', '--out-json', out,
        '--betas', '10', '2'
    ])
    rows = report['rows']
    assert len(rows) == 2 * 2 * 3 * 2
    assert sorted({r['beta'] for r in rows}) == [2, 10]
    with open(out) as f:
        assert json.load(f)['rows'] == rows
    # Background score above every normalised CAM: all background, whose
    # IoU is the background's share of the labelled pixels.
    masks = [
        read_mask(osp.join(root, 'SegmentationClass', n + '.png'))
        for n in data.masked
    ]
    for h in (0, 1):
        half = np.concatenate([m.ravel() for m in masks[h::2]])
        want = 100 * (half == 0).mean() / len(np.unique(half))
        row = [
            r for r in rows if r['bg_value'] == 1.01 and not r['crf']
            and r['exp_times'] == 2
        ][0]
        assert row[f'half{h}'] == pytest.approx(want, abs=1e-6)
    # CAMs made from the masks: the walked background beats all-background.
    walked = [r for r in rows if r['bg_mode'] == 'walked' and r['beta'] == 10]
    assert min(r['all'] for r in walked) > row['all'] + 20
    # beta is applied: the other beta walks elsewhere
    other = {r['setting'].replace('beta 2,', 'beta 10,'): r['all']
             for r in rows if r['bg_mode'] == 'walked' and r['beta'] == 2}
    assert any(other[r['setting']] != r['all'] for r in walked)
    # The choice on one half is that half's best; reported on the other.
    best0 = max(rows, key=lambda r: r['half0'])
    assert report['chosen_on_half0'] == dict(
        setting=best0['setting'], half1=best0['half1'])
    assert report['cross_validated'] == pytest.approx(
        (best0['half1'] + report['chosen_on_half1']['half0']) / 2)


def test_sweep_walk_normalises_as_the_data_preprocessor(trained_irn):
    sys.path.insert(0, osp.join(trained_irn.repo, 'tools', 'analysis_tools'))
    try:
        import sweep_walk
    finally:
        sys.path.pop(0)
    model = sweep_walk.build_model(str(trained_irn.cfg), trained_irn.ckpt)
    image = np.random.default_rng(0).integers(0, 256, (20, 28, 3),
                                              dtype=np.uint8)
    chw = torch.from_numpy(image).permute(2, 0, 1)
    want = model.data_preprocessor(dict(inputs=[chw]), False)['inputs']
    assert torch.allclose(sweep_walk.normalise(model, image), want)
