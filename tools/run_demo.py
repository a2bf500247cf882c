"""The CPU demo on MSRC-VOC: the whole weakly supervised pipeline.

Each experiment and seed is one run of the demo pipeline config
(``configs/pipelines/rpnet-irn-deeplab_msrc-demo.py``) through the same
runner as ``tools/run_pipeline.py`` (:class:`rpnet_mmseg.pipeline.
PipelineRunner`), in ``WORK_DIR/NAME/seed_S``: a stage is skipped only
when its config, command, code, data and the content of its inputs are
unchanged and its outputs are intact, and a killed run resumes where it
stopped. What is
the demo's own stays here: the experiments (CAM configs compared at equal
budgets), the seeds, and the summary over them.

Stages of a run:

1. CAM (every seed): train the CAM network on the image-level labels of
   MSRC-VOC ``train``, write CAMs of every ``train`` image, evaluate them on
   the ``train_dev`` masks (overlays) and on its two halves. A CAM folder of
   degenerate maps (a collapsed network) stops the demo here.
2. Refine (``--refine``; the first seed, or ``--refine-seeds``): CAM +
   CRF on each half at the threshold chosen on the other; relation
   labels, IRN, pseudo-labels of every ``train`` image and their
   ``train_dev`` mIoU (and half 1 alone), overlays.
3. Segment (``--segment``): DeepLab-LargeFOV on the pseudo-labels,
   predictions on ``val`` and their ``val_dev`` mIoU without and with
   dense CRF; with ``--segmentation-bound`` also the same DeepLab on the
   true masks and on the pseudo-labels of ``train_dev``, each tested
   single-scale, with CRF and multi-scale x flip + CRF.

CAM mIoU is reported three ways: at the best background threshold t of the
sweep (IRN's protocol, t chosen on the images it is reported on), at IRN's
fixed t = 0.15, and cross-validated: ``train_dev`` is split in two halves
(even / odd lines), t is chosen on one half and the mIoU reported on the
other, both ways, and the two held-out mIoUs are averaged.

The IRN stage takes its relation labels' foreground threshold from the
background threshold t chosen on the first half of ``train_dev`` (``t0``;
IRN's 0.30 assumes CAMs best at about 0.15); its walk keeps the IRN
config's settings (2^5 steps, walked background ``(1 - max CAM) ** a``
with a = 3.376), chosen on the first halves of three seeds. Its
pseudo-labels are scored on all of ``train_dev`` and on the second half
alone (images not used for either choice), next to the CAMs + a dense CRF
at the same kind of threshold (the baseline IRN must beat).

Writes ``WORK_DIR/summary.json``: ``data_volume`` lists every run (model,
training fraction, seed, ``cam_dir``, its numbers; a refined run also its
``pseudo_label_dir``), ``NAME.runs`` the full-set runs of an experiment with
mean +- std, ``segmentation`` / ``segmentation_bound`` the DeepLab runs; it
prints the numbers per seed and as mean +- std.

Usage:
    python tools/run_demo.py                       # RPNet, whole pipeline
    python tools/run_demo.py --seeds 0 1 2 --only rpnet baseline \
        --refine --segment                         # CAM stage, 3 seeds
    python tools/run_demo.py --only rpnet baseline --refine rpnet baseline
    python tools/run_demo.py --only rpnet baseline --seeds 0 1 2 \
        --subset 0.25                    # Table II: NAME/fraction_0.25
    python tools/run_demo.py --only rpnet --seeds 0 1 2 \
        --refine-seeds 0 1 2                       # pseudo-labels of 3 seeds
    python tools/run_demo.py --only rpnet --segmentation-bound
                                                   # DeepLab on true masks too
"""
import argparse
import fcntl
import json
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from rpnet_mmseg.evaluation import DeadStageError, check_cam_run  # noqa
from rpnet_mmseg.fileio import read_split, save_json_atomic  # noqa: E402
from rpnet_mmseg.pipeline import (PipelineLockedError,  # noqa: E402
                                  PipelineRunner, StageFailedError,
                                  StagePaths, load_pipeline,
                                  resolve_demo_data_root)

PIPELINE = 'configs/pipelines/rpnet-irn-deeplab_msrc-demo.py'
FIXED_T = 0.15
# The last stage of each part of a run (see the pipeline config's order).
LAST_STAGE = dict(cam='cam_eval_half1', refine='pseudo_label_overlays',
                  segment=None)

# name -> (config, extra --cfg-options). RPNet sees two images per sample, so
# the baseline at the same budget ('baseline') trains twice the epochs. The
# defaults ('rpnet', 'baseline') run at output stride 32 with 256 crops; the
# '_os16' entries are the same models at output stride 16 with 192 crops
# (issue 6's check that a demo setting held both down), 'baseline_1x' /
# 'baseline_4x' the OS16 baseline at RPNet's epochs and at four times them,
# and the 'rpnet_*' entries the readings of eqs. 12-13 compared in the README
# (at OS16; the default classifies both f_N and f_N': it scored best).
EXPERIMENTS = {
    'rpnet': ('configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py',
              []),
    'baseline': ('configs/cam/cam_effnetlite0_1xb16-6ep_msrc-256x256.py', []),
    'rpnet_os16': ('configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py',
                   []),
    'baseline_os16': ('configs/cam/cam_effnetlite0_1xb16-6ep_msrc-192x192.py',
                      []),
    'baseline_1x': ('configs/cam/cam_effnetlite0_1xb16-3ep_msrc-192x192.py',
                    []),
    'baseline_4x': ('configs/cam/cam_effnetlite0_1xb16-12ep_msrc-192x192.py',
                    []),
    'rpnet_release_grad':
    ('configs/rpnet/rpnet-releasegrad_effnetlite0_1xb16-3ep_msrc-192x192.py',
     []),
    'rpnet_paperloss':
    ('configs/rpnet/rpnet-paperloss_effnetlite0_1xb16-3ep_msrc-192x192.py',
     []),
    'rpnet_paperloss_grad':
    ('configs/rpnet/rpnet-paperlossgrad_effnetlite0_1xb16-3ep_msrc-192x192.py',
     []),
}


# The segmentation network against its fully supervised self
# (--segmentation-bound): the demo DeepLab trained on the true masks of the
# 165 train_dev images, and on their pseudo-labels; each tested as the
# demo's (single scale, + CRF, multi-scale x flip + CRF).
SEG_BOUND_CONFIGS = dict(
    true_masks='configs/deeplab/deeplab-largefov_effnetlite0-d16_1xb8-300it_'
    'msrc-traindev-gt-256x256.py',
    pseudo_same_images='configs/deeplab/deeplab-largefov_effnetlite0-d16_'
    '1xb8-300it_msrc-traindev-pseudo-256x256.py')
SEG_WORK_DIRS = dict(true_masks='{root}/deeplab_traindev_gt',
                     pseudo_same_images='{root}/deeplab_traindev_pseudo')
CRF = {'model.test_cfg.with_crf': True}


def segmentation_bound_stages(cfg: Config) -> Dict[str, Dict]:
    """Stages of ``--segmentation-bound``, after the demo pipeline's.

    ``seg_{key}_{train,preds,preds_crf,preds_tta_crf}`` for the true masks
    and the pseudo-labels of ``train_dev``, trained from the same CAM
    checkpoint with the same seed as ``seg_train``, plus the multi-scale x
    flip + CRF predictions of the demo's own DeepLab.
    """
    seg = cfg.stages.seg_train
    stages = dict(seg_preds_tta_crf=dict(
        kind='test', config=seg.config, checkpoint='seg_train',
        output='{seg_work_dir}/preds_tta_crf', tta=True, cfg_options=CRF,
        report={'DeepLab + TTA + CRF (val_dev)': 'mIoU'}))
    for key, config in SEG_BOUND_CONFIGS.items():
        work_dir = SEG_WORK_DIRS[key]
        stages[f'seg_{key}_train'] = dict(
            kind='train', config=config, work_dir=work_dir,
            cfg_options=dict(seg.cfg_options))
        for test, extra in (('preds', {}), ('preds_crf', dict(
                cfg_options=CRF)), ('preds_tta_crf', dict(
                    cfg_options=CRF, tta=True))):
            stages[f'seg_{key}_{test}'] = dict(
                kind='test', config=config, checkpoint=f'seg_{key}_train',
                output=f'{work_dir}/{test}', **extra)
    return stages


@dataclass(frozen=True)
class Demo:
    """Where the demo reads its data and writes its runs.

    Args:
        data_root (str): The MSRC-VOC folder.
        work_root (str): Root of every run (``WORK_DIR``).
    """

    data_root: str
    work_root: str

    def paths(self, name: str, seed: int, subset: float = 1.0) -> StagePaths:
        """Stage folders of one experiment, seed and training fraction.

        The full training set runs in ``WORK_DIR/NAME/seed_S``, a fraction
        in ``WORK_DIR/NAME/fraction_F/seed_S``.
        """
        parts = [name] if subset >= 1 else [name, f'fraction_{subset:g}']
        return StagePaths(osp.join(self.work_root, *parts, f'seed_{seed}'))

    def split_names(self, split: str) -> List[str]:
        """Image names of a split file of the demo data."""
        return read_split(osp.join(ROOT, self.data_root, split))

    def pipeline(self, name: str, seed: int, subset: float,
                 segmentation_bound: bool = False) -> Config:
        """The demo pipeline config of one experiment and seed (with the
        stages of :func:`segmentation_bound_stages` if asked)."""
        cfg = load_pipeline(osp.join(ROOT, PIPELINE),
                            work_dir=self.paths(name, seed, subset).root,
                            data_root=self.data_root)
        config, options = EXPERIMENTS[name]
        cam_options = dict(o.split('=', 1) for o in options)
        cam_options['randomness.seed'] = seed
        if subset < 1:
            # each seed draws its own subset (paper Table II: random subsets)
            cam_options['train_dataloader.dataset.subset_fraction'] = subset
            cam_options['train_dataloader.dataset.subset_seed'] = seed
        for stage in ('cam_train', 'cams'):
            cfg.stages[stage].config = config
        cfg.stages.cam_train.cfg_options = cam_options
        # IRN and DeepLab train with the run's seed too.
        cfg.stages.irn_train.cfg_options = {'randomness.seed': seed}
        cfg.stages.seg_train.cfg_options['randomness.seed'] = seed
        if segmentation_bound:
            for key, stage in segmentation_bound_stages(cfg).items():
                cfg.stages[key] = stage
        return cfg


def num_train_images(runner: PipelineRunner) -> int:
    """Training images of the CAM stage: its dumped config's dataset."""
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(runner.abs(
        runner.config_file('cam_train')))
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[]))
    return len(dataset)


def cross_validated_miou(halves: Sequence[Dict]) -> float:
    """Mean held-out mIoU: t chosen on one half, scored on the other."""
    scores = []
    for k in range(2):
        chosen = halves[k]['best_threshold']
        scores.append(halves[1 - k]['sweep'][f'{chosen:.2f}'])
    return float(np.mean(scores))


def miou_of(metrics: Dict) -> float:
    """The mIoU entry of a test loop's metrics (any prefix)."""
    keys = [k for k in metrics if k.split('/')[-1] == 'mIoU']
    if not keys:
        raise KeyError(f'no mIoU in the test metrics: {sorted(metrics)}')
    return float(metrics[keys[0]])


def run_pipeline(demo: Demo, name: str, seed: int, subset: float,
                 until: Optional[str],
                 segmentation_bound: bool = False) -> PipelineRunner:
    """Run one experiment and seed's pipeline up to ``until``.

    A CAM folder whose maps are degenerate (a collapsed network) stops the
    demo right after the CAM stage, before anything reads it.
    """
    runner = PipelineRunner(
        demo.pipeline(name, seed, subset, segmentation_bound), ROOT)
    paths = runner.paths
    names = demo.split_names('ImageSets/Segmentation/train.txt')
    check = partial(check_cam_run, osp.join(ROOT, paths.cam_dir), names,
                    f'{name} seed {seed}', osp.join(ROOT, paths.cam_work_dir))
    runner.run(until=until, checks={'cams': check})
    print(runner.table(), flush=True)
    return runner


def stage_seconds(runner: PipelineRunner, *stages: str) -> float:
    """Time the stages took when they last ran (from their records)."""
    return float(sum((runner.read_record(s) or {}).get('seconds', 0.0)
                     for s in stages))


def cam_result(runner: PipelineRunner, name: str, seed: int,
               subset: float) -> Dict:
    """The CAM stage's numbers of one run (from the runner's records)."""
    full = runner.json_of('cam_eval')
    halves = [runner.json_of(f'cam_eval_half{k}') for k in range(2)]
    cfg = Config.fromfile(runner.abs(
        runner.config_file('cam_train')))
    epochs = cfg.train_cfg.max_epochs
    imgs_per_sample = 2 if cfg.train_dataloader.dataset.get('paired') else 1
    return dict(
        model=name,
        fraction=subset,
        seed=seed,
        cam_dir=runner.output('cams'),
        cam_miou=full['mIoU'],
        best_threshold=full['best_threshold'],
        cam_miou_fixed_t=full['sweep'][f'{FIXED_T:.2f}'],
        cam_miou_cv=cross_validated_miou(halves),
        epochs=epochs,
        image_passes=epochs * imgs_per_sample * num_train_images(runner),
        train_s=stage_seconds(runner, 'cam_train'),
        cam_s=stage_seconds(runner, 'cams'),
        eval_s=stage_seconds(runner, 'cam_eval', 'cam_eval_half0',
                             'cam_eval_half1'))


def refine_result(runner: PipelineRunner) -> Dict:
    """The IRN stage's numbers of one run."""
    crf = [runner.json_of(f'cam_crf_eval_half{k}') for k in range(2)]
    return dict(
        relation_label_dir=runner.output('relation_labels'),
        pseudo_label_dir=runner.output('pseudo_labels'),
        pseudo_label_overlay_dir=runner.output('pseudo_label_overlays'),
        pseudo_label_miou=miou_of(runner.json_of('pseudo_labels')),
        pseudo_label_miou_half1=runner.json_of(
            'pseudo_label_eval_half1')['mIoU'],
        cam_crf_miou_cv=float(np.mean([c['mIoU'] for c in crf])),
        cam_threshold_t0=runner.json_of('cam_eval_half0')['best_threshold'],
        relation_label_s=stage_seconds(runner, 'relation_labels'),
        irn_train_s=stage_seconds(runner, 'irn_train'),
        pseudo_label_s=stage_seconds(runner, 'pseudo_labels'))


def segment_result(runner: PipelineRunner, name: str, seed: int) -> Dict:
    """The segmentation stage's numbers of one run."""
    return dict(
        cam_run=f'{name}/seed_{seed}',
        checkpoint=runner.output('seg_train'),
        pred_dir=runner.output('seg_preds'),
        pred_dir_crf=runner.output('seg_preds_crf'),
        miou=miou_of(runner.json_of('seg_preds')),
        miou_crf=miou_of(runner.json_of('seg_preds_crf')),
        seg_train_s=stage_seconds(runner, 'seg_train'),
        seg_test_s=stage_seconds(runner, 'seg_preds'),
        seg_test_crf_s=stage_seconds(runner, 'seg_preds_crf'))


def segmentation_bound_result(runner: PipelineRunner,
                              segmentation: Dict) -> Dict:
    """``segmentation_bound``: DeepLab on the true masks of train_dev, on
    their pseudo-labels and on the pseudo-labels of all of train, each
    ``{pred_dir, pred_dir_crf, pred_dir_tta_crf, miou, miou_crf,
    miou_tta_crf}`` on val_dev, and the weak ones as % of the first."""
    def tested(prefix: str) -> Dict:
        out = {}
        for test, key in (('preds', ''), ('preds_crf', '_crf'),
                          ('preds_tta_crf', '_tta_crf')):
            out[f'pred_dir{key}'] = runner.output(f'{prefix}{test}')
            out[f'miou{key}'] = miou_of(runner.json_of(f'{prefix}{test}'))
        return out

    bound = {key: dict(tested(f'seg_{key}_'),
                       train_s=stage_seconds(runner, f'seg_{key}_train'))
             for key in SEG_BOUND_CONFIGS}
    bound['pseudo_all'] = dict(
        pred_dir=segmentation['pred_dir'],
        pred_dir_crf=segmentation['pred_dir_crf'],
        miou=segmentation['miou'], miou_crf=segmentation['miou_crf'],
        **{k: v for k, v in tested('seg_').items() if 'tta' in k},
        train_s=segmentation['seg_train_s'])
    full = bound['true_masks']
    bound['percent_of_fully_supervised'] = {
        key: {m: 100.0 * bound[key][m] / full[m]
              for m in ('miou', 'miou_crf', 'miou_tta_crf')}
        for key in ('pseudo_same_images', 'pseudo_all')}
    return bound


def mean_std(runs: Sequence[Dict], key: str) -> Dict[str, float]:
    """Mean and sample std (ddof 1; 0 for one run) of ``key`` over runs."""
    values = np.array([r[key] for r in runs], dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {'mean': float(values.mean()), 'std': std, 'n': len(values)}


CAM_KEYS = ('cam_miou', 'cam_miou_cv', 'cam_miou_fixed_t')
REFINE_KEYS = ('pseudo_label_miou', 'pseudo_label_miou_half1',
               'cam_crf_miou_cv')


def summarize(name: str, runs: List[Dict]) -> Dict:
    """Summary entry of one experiment (full training set) over its seeds.

    CAM numbers over every seed, pseudo-label numbers over the seeds that
    went through IRN; each run keeps its own folders and numbers.
    """
    config, options = EXPERIMENTS[name]
    refined = [r for r in runs if 'pseudo_label_miou' in r]
    entry = dict(
        config=config,
        cfg_options=list(options),
        runs=sorted(runs, key=lambda r: r['seed']),
        **{key: mean_std(runs, key)
           for key in CAM_KEYS})
    if refined:
        entry.update({key: mean_std(refined, key) for key in REFINE_KEYS})
    return entry


def upsert_run(runs: List[Dict], result: Dict) -> List[Dict]:
    """``runs`` with ``result`` in place of the entry of its model, fraction
    and seed, sorted by them."""
    key = ('model', 'fraction', 'seed')
    kept = [r for r in runs if any(r.get(k) != result[k] for k in key)]
    return sorted(kept + [result], key=lambda r: tuple(r[k] for k in key))


def data_volume_table(runs: Sequence[Dict]) -> Dict[str, Dict[str, Dict]]:
    """CAM mIoU (cv) mean +- std per model and training fraction."""
    table: Dict[str, Dict[str, Dict]] = {}
    for model in sorted({r['model'] for r in runs}):
        for fraction in sorted({r['fraction'] for r in runs}, reverse=True):
            group = [r for r in runs
                     if r['model'] == model and r['fraction'] == fraction]
            if group:
                table.setdefault(model, {})[f'{fraction:g}'] = mean_std(
                    group, 'cam_miou_cv')
    return table


def print_table(summary: Dict, names: Sequence[str]) -> None:
    """Print per-seed and mean +- std mIoU of each experiment and stage."""
    print(f'\nCAM mIoU on MSRC-VOC train_dev (best t | t from the other '
          f'half | t = {FIXED_T}):')
    print(f'{"model":<22} {"seed":>4} {"passes":>6} {"best":>6} {"t":>5} '
          f'{"cv":>6} {"t=.15":>6} {"train s":>7}')
    for name in names:
        entry = summary.get(name)
        if not entry:
            continue
        for r in entry['runs']:
            print(f'{name:<22} {r["seed"]:>4} {r["image_passes"]:>6.0f} '
                  f'{r["cam_miou"]:>6.2f} {r["best_threshold"]:>5.2f} '
                  f'{r["cam_miou_cv"]:>6.2f} {r["cam_miou_fixed_t"]:>6.2f} '
                  f'{r["train_s"]:>7.0f}')
        stats = [entry[k] for k in CAM_KEYS]
        print(f'{name:<22} {"mean":>4} {"":>6} ' + ' '.join(
            f'{s["mean"]:.2f}+-{s["std"]:.2f}' for s in stats))
    for name in names:
        entry = summary.get(name) or {}
        for r in entry.get('runs', []):
            if 'pseudo_label_miou' in r:
                print(f'{name} seed {r["seed"]}: pseudo-label mIoU '
                      f'(train_dev) {r["pseudo_label_miou"]:.2f} (half1 '
                      f'{r["pseudo_label_miou_half1"]:.2f}), CAM + CRF (cv) '
                      f'{r["cam_crf_miou_cv"]:.2f}  ({r["pseudo_label_dir"]})')
        if 'pseudo_label_miou' in entry:
            print(f'{name} mean over {entry["pseudo_label_miou"]["n"]}: ' +
                  ', '.join(f'{k} {entry[k]["mean"]:.2f}+-'
                            f'{entry[k]["std"]:.2f}' for k in REFINE_KEYS))
    volume = data_volume_table(summary.get('data_volume', []))
    if volume:
        print('\nCAM mIoU (cv) by training fraction (paper Table II):')
        for model, row in volume.items():
            print(f'{model:<22} ' + '  '.join(
                f'{f}: {v["mean"]:.2f}+-{v["std"]:.2f} (n={v["n"]})'
                for f, v in row.items()))
    seg = summary.get('segmentation')
    if seg:
        print(f'segmentation ({seg["cam_run"]}): val_dev mIoU '
              f'{seg["miou"]:.2f}, with CRF {seg["miou_crf"]:.2f}')
    bound = summary.get('segmentation_bound')
    if bound:
        print('\nDeepLab on val_dev (single scale | + CRF | multi-scale x '
              'flip + CRF), % of fully supervised:')
        pct = bound['percent_of_fully_supervised']
        for key in ('true_masks', 'pseudo_same_images', 'pseudo_all'):
            b = bound[key]
            line = (f'{key:<20} {b["miou"]:6.2f} {b["miou_crf"]:6.2f} '
                    f'{b["miou_tta_crf"]:6.2f}')
            if key in pct:
                line += '   ' + ' '.join(f'{v:5.1f}%'
                                         for v in pct[key].values())
            print(line)


def update_summary(path: str, change: Callable[[Dict], None]) -> Dict:
    """Apply ``change`` to the summary JSON under a lock; return it.

    The file is re-read under an exclusive lock, so several demo processes
    (e.g. the seeds of two experiments run side by side) keep each other's
    entries; it is replaced atomically.
    """
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        summary = {}
        if osp.isfile(path):
            with open(path) as f:
                summary = json.load(f)
        change(summary)
        save_json_atomic(path, summary)
    return summary


def record_run(summary: Dict, name: str, result: Dict) -> None:
    """Put one run's numbers into the summary.

    Every run is listed in ``data_volume`` (model, fraction, seed, folders
    and numbers); a full-training-set run also in its experiment's
    ``runs``, whose mean +- std it updates.
    """
    summary['data_volume'] = upsert_run(summary.get('data_volume', []),
                                        result)
    if result['fraction'] >= 1:
        runs = upsert_run(summary.get(name, {}).get('runs', []), result)
        summary[name] = summarize(name, runs)


def main() -> None:
    """Run the stages over the experiments and seeds; write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--data-root',
        help='MSRC-VOC folder (default: $RPNET_DEMO_DATA, else '
        'data/msrc_voc, made a link to ../shared/data/msrc_voc when only '
        'that exists)')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0],
        help='training seeds (randomness.seed) of every CAM experiment')
    parser.add_argument(
        '--subset',
        type=float,
        default=1.0,
        help='keep this fraction of each class (Table II), e.g. 0.25')
    parser.add_argument(
        '--only', nargs='+', choices=sorted(EXPERIMENTS), default=['rpnet'],
        help='CAM experiments')
    parser.add_argument(
        '--refine', nargs='*', default=None,
        help='experiments whose CAMs go through IRN (default: rpnet when '
        'it runs; none: --refine with no name)')
    parser.add_argument(
        '--refine-seeds', type=int, nargs='+', default=None,
        help='seeds of the --refine experiments that go through IRN '
        '(default: the first of --seeds)')
    parser.add_argument(
        '--segment', nargs='*', default=None,
        help='experiment whose pseudo-labels (first seed) train '
        'DeepLab-LargeFOV (default: rpnet when it runs; none: --segment '
        'with no name)')
    parser.add_argument(
        '--segmentation-bound', action='store_true',
        help='also train the --segment DeepLab on the true masks of '
        'train_dev and on their pseudo-labels, and test all three with '
        'multi-scale x flip + CRF (the fully supervised comparison)')
    args = parser.parse_args()
    try:
        data_root = resolve_demo_data_root(args.data_root, link=True)
    except (FileNotFoundError, FileExistsError) as e:
        sys.exit(f'error: {e}')
    demo = Demo(osp.relpath(data_root, ROOT), args.work_dir)
    for stage in ('refine', 'segment'):
        if getattr(args, stage) is None:
            full = 'rpnet' in args.only and args.subset >= 1
            setattr(args, stage, ['rpnet'] if full else [])
        unknown = set(getattr(args, stage)) - set(args.only)
        if unknown:
            parser.error(f'--{stage} {sorted(unknown)}: not in --only')
        if getattr(args, stage) and args.subset < 1:
            parser.error(f'--{stage} runs on the full training set only '
                         f'(--subset {args.subset:g})')
    refine_seeds = args.refine_seeds or args.seeds[:1]
    if set(refine_seeds) - set(args.seeds):
        parser.error('--refine-seeds must be among --seeds')
    if args.segmentation_bound and not args.segment:
        parser.error('--segmentation-bound needs a --segment experiment')
    if len(args.segment) > 1:
        parser.error('--segment takes at most one experiment')
    missing = set(args.segment) - set(args.refine)
    if missing:
        parser.error(f'--segment {sorted(missing)} needs its pseudo-labels: '
                     'add it to --refine')
    start = time.time()
    out = osp.join(ROOT, args.work_dir, 'summary.json')
    os.makedirs(osp.dirname(out), exist_ok=True)
    first = args.seeds[0]
    try:
        for name in args.only:
            for s in args.seeds:
                part = 'cam'
                if s == first and name in args.segment:
                    part = 'segment'
                elif s in refine_seeds and name in args.refine:
                    part = 'refine'
                runner = run_pipeline(
                    demo, name, s, args.subset, LAST_STAGE[part],
                    part == 'segment' and args.segmentation_bound)
                result = cam_result(runner, name, s, args.subset)
                if part in ('refine', 'segment'):
                    result.update(refine_result(runner))
                update_summary(
                    out, partial(record_run, name=name, result=result))
                if part == 'segment':
                    seg = segment_result(runner, name, s)
                    update_summary(out, lambda d: d.update(segmentation=seg))
                    if args.segmentation_bound:
                        bound = segmentation_bound_result(runner, seg)
                        update_summary(out, lambda d: d.update(
                            segmentation_bound=bound))
    except (DeadStageError, StageFailedError, PipelineLockedError) as e:
        sys.exit(f'error: {e}')
    total = time.time() - start
    summary = update_summary(out, lambda d: d.update(last_total_s=total))
    print_table(summary, args.only)
    print(f'total {total:.0f} s; summary: '
          f'{osp.relpath(out, ROOT)}')


if __name__ == '__main__':
    main()
