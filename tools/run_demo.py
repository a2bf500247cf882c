"""The CPU demo on MSRC-VOC: the whole weakly supervised pipeline.

Stages, each the user-facing command and each skipped or resumed when its
outputs are complete (a killed run re-run continues in the stage it stopped
in):

1. CAM (per experiment and seed): train the CAM network on the image-level
   labels of MSRC-VOC ``train`` (``tools/train.py``), write CAMs of every
   ``train`` image (``tools/test.py``), evaluate them on the ``train_dev``
   masks and draw overlays (``tools/eval_cams.py``).
2. Refine (``--refine``, the first seed): relation labels
   (``tools/make_relation_labels.py``), IRN (``tools/train.py``),
   pseudo-labels of every ``train`` image and their ``train_dev`` mIoU
   (``tools/test.py``), overlays (``tools/draw_overlays.py``).
3. Segment (``--segment``): DeepLab-LargeFOV on the pseudo-labels
   (``tools/train.py``), predictions on ``val`` and their ``val_dev`` mIoU
   without and with dense CRF (``tools/test.py``).

Every folder between stages comes from :class:`rpnet_mmseg.utils.StagePaths`
(``WORK_DIR/NAME/seed_S/...``); the stage configs are pointed at them with
``--cfg-options`` (:func:`rpnet_mmseg.utils.retarget_options`).

CAM mIoU is reported three ways: at the best background threshold t of the
sweep (IRN's protocol, t chosen on the images it is reported on), at IRN's
fixed t = 0.15, and cross-validated: ``train_dev`` is split in two halves
(even / odd lines), t is chosen on one half and the mIoU reported on the
other, both ways, and the two held-out mIoUs are averaged.

The IRN stage takes its two CAM-dependent settings from the background
threshold t chosen on the first half of ``train_dev`` (``t0``): relation
labels with foreground threshold ``t0`` (IRN's 0.30 assumes CAMs best at
about 0.15), and the walked background ``(1 - max CAM) ** bg_power`` with
``(1 - t0) ** bg_power = t0``, i.e. background where the CAM is below t0
before the walk. Its pseudo-labels are scored on all of ``train_dev`` and on
the second half alone (images not used to choose t0), next to the CAMs + a
dense CRF at the same kind of threshold (the baseline IRN must beat).

Writes ``WORK_DIR/summary.json`` (``NAME.runs``: one entry per seed with its
``cam_dir``) and prints the numbers per seed and as mean +- std.

Usage:
    python tools/run_demo.py                       # RPNet, whole pipeline
    python tools/run_demo.py --seeds 0 1 2 --only rpnet baseline \
        --refine --segment                         # CAM stage, 3 seeds
    python tools/run_demo.py --only rpnet baseline --refine rpnet baseline
"""
import argparse
import fcntl
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from rpnet_mmseg.evaluation import DeadStageError, check_cam_run  # noqa
from rpnet_mmseg.fileio import (CAM_SUFFIX, CLS_LABEL_FILE,  # noqa: E402
                                load_cls_labels)
from rpnet_mmseg.utils import (StagePaths, resolve_demo_data_root,  # noqa
                               retarget_options)

# The data root and run root the shipped demo configs name; run_demo points
# them at the resolved data and at each run's StagePaths.
CONFIG_DATA_ROOT = '../shared/data/msrc_voc'
CONFIG_RUN_ROOT = 'work_dirs/demo/rpnet/seed_0'
FIXED_T = 0.15
IRN_CONFIG = 'configs/irn/irn_effnetlite0_1xb8-3ep_msrc-192x192.py'
SEG_CONFIG = ('configs/deeplab/'
              'deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py')
SEG_CRF_CONFIG = ('configs/deeplab/deeplab-largefov-crf_effnetlite0-d16_'
                  '1xb8-300it_msrc-pseudo-256x256.py')

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


def run(cmd: List[str]) -> float:
    """Run a command from the repository root; return its wall time."""
    print('\n$ ' + ' '.join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.time() - start


@dataclass(frozen=True)
class Demo:
    """Where the demo reads its data and writes its runs.

    Args:
        data_root (str): The MSRC-VOC folder.
        work_root (str): Root of every run (``WORK_DIR``).
    """

    data_root: str
    work_root: str

    def paths(self, name: str, seed: int) -> StagePaths:
        """Stage folders of one experiment and seed."""
        return StagePaths(osp.join(self.work_root, name, f'seed_{seed}'))

    def split_names(self, split: str) -> List[str]:
        """Image names of a split file of the demo data."""
        with open(osp.join(ROOT, self.data_root, split)) as f:
            return [line.strip() for line in f if line.strip()]

    def options(self, config: str, paths: StagePaths) -> List[str]:
        """``--cfg-options`` pointing a shipped config at this run."""
        cfg = Config.fromfile(osp.join(ROOT, config))
        return retarget_options(cfg, {
            CONFIG_DATA_ROOT: self.data_root,
            CONFIG_RUN_ROOT: paths.root
        })


def num_train_images(demo: Demo, names: List[str], subset: float) -> int:
    """Training images kept by ``subset_fraction`` (seed 0), as the dataset."""
    if subset >= 1:
        return len(names)
    from rpnet_mmseg.datasets import select_class_subset
    labels = load_cls_labels(
        osp.join(ROOT, demo.data_root, CLS_LABEL_FILE))
    matrix = np.stack([labels[n] for n in names])
    return len(select_class_subset(matrix, subset, seed=0))


def write_half_splits(demo: Demo, out_dir: str) -> List[str]:
    """Write ``train_dev`` halves (even / odd lines); return their paths."""
    names = demo.split_names('ImageSets/Segmentation/train_dev.txt')
    paths = []
    for k in range(2):
        path = osp.join(ROOT, out_dir, f'train_dev_half{k}.txt')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'w') as f:
            f.write('\n'.join(names[k::2]) + '\n')
        os.replace(path + '.tmp', path)
        paths.append(path)
    return paths


def eval_cams(demo: Demo, cam_dir: str, split: str, out_json: str,
              extra: Sequence[str] = ()) -> Dict:
    """Run ``tools/eval_cams.py`` on one split; return its JSON report."""
    run([
        sys.executable, 'tools/eval_cams.py', '--cam-dir', cam_dir,
        '--data-root', demo.data_root, '--split', split, '--labels-json',
        osp.join(demo.data_root, 'labels.json'), '--out-json', out_json,
        *extra
    ])
    return read_json(out_json)


def cfg_options(options: Sequence[str]) -> List[str]:
    """``--cfg-options`` followed by ``options``; nothing when empty."""
    return ['--cfg-options', *options] if options else []


def read_json(path: str) -> Dict:
    """Load a JSON file (relative to the repository root)."""
    with open(osp.join(ROOT, path)) as f:
        return json.load(f)


def cross_validated_miou(halves: Sequence[Dict]) -> float:
    """Mean held-out mIoU: t chosen on one half, scored on the other."""
    scores = []
    for k in range(2):
        chosen = halves[k]['best_threshold']
        scores.append(halves[1 - k]['sweep'][f'{chosen:.2f}'])
    return float(np.mean(scores))


def all_present(folder: str, names: Sequence[str], suffix: str) -> bool:
    """Whether ``folder`` holds ``NAME + suffix`` for every name."""
    return all(
        osp.isfile(osp.join(ROOT, folder, n + suffix)) for n in names)


def run_cam_stage(demo: Demo, name: str, seed: int, subset: float) -> Dict:
    """Train, write CAMs, evaluate and draw overlays for one run."""
    config, options = EXPERIMENTS[name]
    cfg = Config.fromfile(osp.join(ROOT, config))
    epochs = cfg.train_cfg.max_epochs
    imgs_per_sample = 2 if cfg.train_dataloader.dataset.get('paired') else 1
    paths = demo.paths(name, seed)
    options = demo.options(config, paths) + list(options) + [
        f'randomness.seed={seed}'
    ]
    if subset < 1:
        options.append(f'train_dataloader.dataset.subset_fraction={subset}')
    py = sys.executable
    times = {}
    ckpt = paths.cam_checkpoint(epochs)
    times['train_s'] = 0.0
    if not osp.isfile(osp.join(ROOT, ckpt)):
        times['train_s'] = run([
            py, 'tools/train.py', config, '--work-dir', paths.cam_work_dir,
            '--resume', *cfg_options(options)
        ])
    names = demo.split_names('ImageSets/Segmentation/train.txt')
    times['cam_s'] = 0.0
    if not all_present(paths.cam_dir, names, CAM_SUFFIX):
        times['cam_s'] = run([
            py, 'tools/test.py', config, ckpt, '--work-dir',
            paths.cam_work_dir, *cfg_options(options + [
                f'test_evaluator.output_dir={paths.cam_dir}',
                f'test_dataloader.dataset.skip_done_dir={paths.cam_dir}'
            ])
        ])
    # A collapsed network writes a complete folder of empty CAMs: stop here,
    # before anything trains on them.
    check_cam_run(
        osp.join(ROOT, paths.cam_dir), names, f'{name} seed {seed}',
        osp.join(ROOT, paths.cam_work_dir))
    start = time.time()
    full = eval_cams(
        demo, paths.cam_dir, 'ImageSets/Segmentation/train_dev.txt',
        osp.join(paths.root, 'cam_eval_train_dev.json'), [
            '--overlay-dir', paths.cam_overlay_dir, '--num-overlays', '8'
        ])
    halves = [
        eval_cams(demo, paths.cam_dir, split,
                  osp.join(paths.root, f'cam_eval_half{k}.json'))
        for k, split in enumerate(write_half_splits(demo, paths.root))
    ]
    times['eval_s'] = time.time() - start
    return dict(
        seed=seed,
        cam_dir=paths.cam_dir,
        cam_miou=full['mIoU'],
        best_threshold=full['best_threshold'],
        cam_miou_fixed_t=full['sweep'][f'{FIXED_T:.2f}'],
        cam_miou_cv=cross_validated_miou(halves),
        epochs=epochs,
        image_passes=epochs * imgs_per_sample *
        num_train_images(demo, names, subset),
        **times)


def miou_of(metrics: Dict) -> float:
    """The mIoU entry of a test loop's metrics (any prefix)."""
    keys = [k for k in metrics if k.split('/')[-1] == 'mIoU']
    if not keys:
        raise KeyError(f'no mIoU in the test metrics: {sorted(metrics)}')
    return float(metrics[keys[0]])


def run_refine_stage(demo: Demo, name: str, seed: int) -> Dict:
    """Relation labels, IRN, pseudo-labels (+ mIoU, overlays) of one run."""
    paths = demo.paths(name, seed)
    t0 = read_json(osp.join(paths.root,
                            'cam_eval_half0.json'))['best_threshold']
    options = demo.options(IRN_CONFIG, paths) + [
        f'relation_label_cfg.fg_thresh={t0}',
        f'model.test_cfg.bg_power={walked_bg_power(t0):.4f}'
    ]
    cfg = Config.fromfile(osp.join(ROOT, IRN_CONFIG))
    names = demo.split_names('ImageSets/Segmentation/train.txt')
    py = sys.executable
    times = dict(relation_label_s=0.0, irn_train_s=0.0, pseudo_label_s=0.0)
    if not all_present(paths.relation_label_dir, names, '.png'):
        times['relation_label_s'] = run([
            py, 'tools/make_relation_labels.py', IRN_CONFIG,
            *cfg_options(options)
        ])
    ckpt = osp.join(paths.irn_work_dir,
                    f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if not osp.isfile(osp.join(ROOT, ckpt)):
        times['irn_train_s'] = run([
            py, 'tools/train.py', IRN_CONFIG, '--work-dir',
            paths.irn_work_dir, '--resume',
            *cfg_options(options + [f'randomness.seed={seed}'])
        ])
    eval_json = osp.join(paths.root, 'pseudo_label_eval.json')
    if not (all_present(paths.pseudo_label_dir, names, '.png')
            and osp.isfile(osp.join(ROOT, eval_json))):
        times['pseudo_label_s'] = run([
            py, 'tools/test.py', IRN_CONFIG, ckpt, '--work-dir',
            paths.irn_work_dir, '--out-json', eval_json,
            *cfg_options(options)
        ])
    cam_crf = cam_crf_cross_validated(demo, paths)
    run([
        py, 'tools/draw_overlays.py', IRN_CONFIG, '--out-dir',
        paths.pseudo_label_overlay_dir, '--split',
        'ImageSets/Segmentation/train_dev.txt', '--num', '8',
        *cfg_options(options)
    ])
    return dict(
        relation_label_dir=paths.relation_label_dir,
        pseudo_label_dir=paths.pseudo_label_dir,
        pseudo_label_overlay_dir=paths.pseudo_label_overlay_dir,
        pseudo_label_miou=miou_of(read_json(eval_json)),
        pseudo_label_miou_half1=label_dir_miou(
            demo, paths.pseudo_label_dir,
            osp.join(paths.root, 'train_dev_half1.txt')),
        cam_crf_miou_cv=cam_crf,
        cam_threshold_t0=t0,
        **times)


def walked_bg_power(t: float) -> float:
    """Exponent a with ``(1 - t) ** a = t``: the walked background equals a
    CAM score of t, the CAM's chosen background threshold."""
    if not 0 < t < 1:
        raise ValueError(f'background threshold must be in (0, 1), got {t}')
    return math.log(t) / math.log(1 - t)


def label_dir_miou(demo: Demo, label_dir: str, split: str,
                   num_classes: int = 15) -> float:
    """mIoU (%) of ``label_dir/NAME.png`` against the masks of ``split``."""
    from rpnet_mmseg.evaluation.metrics.cam_metric import \
        iou_from_confusion
    from rpnet_mmseg.fileio import read_mask
    with open(osp.join(ROOT, split)) as f:
        names = [line.strip() for line in f if line.strip()]
    conf = np.zeros((num_classes, num_classes), np.int64)
    for n in names:
        mask = read_mask(
            osp.join(ROOT, demo.data_root, 'SegmentationClass', n + '.png'))
        pred = read_mask(osp.join(ROOT, label_dir, n + '.png'))
        valid = mask != 255
        conf += np.bincount(
            num_classes * mask[valid].astype(np.int64) +
            pred[valid].astype(np.int64),
            minlength=num_classes**2).reshape(num_classes, num_classes)
    return float(100 * np.nanmean(iou_from_confusion(conf)))


def cam_crf_cross_validated(demo: Demo, paths: StagePaths) -> float:
    """CAM + CRF mIoU on ``train_dev``, t chosen on the other half.

    The baseline the IRN stage must beat: each half's label maps at the
    background score t that is best on the other half (from the CAM
    stage's ``cam_eval_half{k}.json``), refined by IRN's dense CRF
    (``tools/eval_cams.py --crf``); the mean of the two halves.
    """
    scores = []
    for k in range(2):
        chosen = read_json(osp.join(paths.root, f'cam_eval_half{k}.json'))
        out = osp.join(paths.root, f'cam_crf_eval_half{1 - k}.json')
        done = read_json(out) if osp.isfile(osp.join(ROOT, out)) else None
        if done and done['best_threshold'] == chosen['best_threshold']:
            scores.append(done['mIoU'])
            continue
        split = osp.join(ROOT, paths.root, f'train_dev_half{1 - k}.txt')
        scores.append(
            eval_cams(demo, paths.cam_dir, split, out, [
                '--crf', '--thresholds', str(chosen['best_threshold'])
            ])['mIoU'])
    return float(np.mean(scores))


def run_segment_stage(demo: Demo, name: str, seed: int) -> Dict:
    """DeepLab-LargeFOV on a run's pseudo-labels; predictions on ``val``."""
    paths = demo.paths(name, seed)
    cam_epochs = Config.fromfile(osp.join(
        ROOT, EXPERIMENTS[name][0])).train_cfg.max_epochs
    # The backbone starts from this run's CAM network.
    options = demo.options(SEG_CONFIG, paths) + [
        'model.backbone.init_cfg.checkpoint='
        f'{paths.cam_checkpoint(cam_epochs)}'
    ]
    cfg = Config.fromfile(osp.join(ROOT, SEG_CONFIG))
    py = sys.executable
    times = dict(seg_train_s=0.0, seg_test_s=0.0, seg_test_crf_s=0.0)
    last = osp.join(paths.seg_work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    if not osp.isfile(osp.join(ROOT, last)):
        times['seg_train_s'] = run([
            py, 'tools/train.py', SEG_CONFIG, '--work-dir',
            paths.seg_work_dir, '--resume',
            *cfg_options(options + [f'randomness.seed={seed}'])
        ])
    best = sorted(glob.glob(osp.join(ROOT, paths.seg_work_dir,
                                     'best_mIoU_*.pth')))
    ckpt = osp.relpath(best[-1], ROOT) if best else last
    names = demo.split_names('ImageSets/Segmentation/val.txt')
    results = {}
    for key, config, pred_dir in (('', SEG_CONFIG, paths.pred_dir),
                                  ('_crf', SEG_CRF_CONFIG,
                                   paths.pred_dir_crf)):
        eval_json = osp.join(paths.seg_work_dir, f'val_eval{key}.json')
        if not (all_present(pred_dir, names, '.png')
                and osp.isfile(osp.join(ROOT, eval_json))):
            times[f'seg_test{key}_s'] = run([
                py, 'tools/test.py', config, ckpt, '--work-dir',
                paths.seg_work_dir, '--out-json', eval_json,
                *cfg_options(demo.options(config, paths))
            ])
        results[f'miou{key}'] = miou_of(read_json(eval_json))
    return dict(
        cam_run=f'{name}/seed_{seed}',
        checkpoint=ckpt,
        pred_dir=paths.pred_dir,
        pred_dir_crf=paths.pred_dir_crf,
        **results,
        **times)


def mean_std(runs: Sequence[Dict], key: str) -> Dict[str, float]:
    """Mean and sample std (ddof 1; 0 for one run) of ``key`` over runs."""
    values = np.array([r[key] for r in runs], dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {'mean': float(values.mean()), 'std': std}


def summarize(name: str, runs: List[Dict], subset: float) -> Dict:
    """Summary entry of one experiment over its seeds."""
    config, options = EXPERIMENTS[name]
    return dict(
        config=config,
        cfg_options=list(options),
        subset=subset,
        runs=sorted(runs, key=lambda r: r['seed']),
        **{
            key: mean_std(runs, key)
            for key in ('cam_miou', 'cam_miou_cv', 'cam_miou_fixed_t')
        })


def print_table(summary: Dict, names: Sequence[str]) -> None:
    """Print per-seed and mean +- std mIoU of each experiment and stage."""
    print(f'\nCAM mIoU on MSRC-VOC train_dev (best t | t from the other '
          f'half | t = {FIXED_T}):')
    print(f'{"model":<22} {"seed":>4} {"passes":>6} {"best":>6} {"t":>5} '
          f'{"cv":>6} {"t=.15":>6} {"train s":>7}')
    for name in names:
        entry = summary[name]
        for r in entry['runs']:
            print(f'{name:<22} {r["seed"]:>4} {r["image_passes"]:>6.0f} '
                  f'{r["cam_miou"]:>6.2f} {r["best_threshold"]:>5.2f} '
                  f'{r["cam_miou_cv"]:>6.2f} {r["cam_miou_fixed_t"]:>6.2f} '
                  f'{r["train_s"]:>7.0f}')
        stats = [entry[k] for k in ('cam_miou', 'cam_miou_cv',
                                    'cam_miou_fixed_t')]
        print(f'{name:<22} {"mean":>4} {"":>6} ' + ' '.join(
            f'{s["mean"]:.2f}+-{s["std"]:.2f}' for s in stats))
    for name in names:
        if 'pseudo_label_miou' in summary[name]:
            e = summary[name]
            crf = e.get('cam_crf_miou_cv')
            crf = 'n/a' if crf is None else f'{crf:.2f}'
            half1 = e.get('pseudo_label_miou_half1')
            half1 = 'n/a' if half1 is None else f'{half1:.2f}'
            print(f'{name}: pseudo-label mIoU (train_dev) '
                  f'{e["pseudo_label_miou"]:.2f} (half1 {half1}), CAM + CRF '
                  f'(cv) {crf}  ({e["pseudo_label_dir"]})')
    seg = summary.get('segmentation')
    if seg:
        print(f'segmentation ({seg["cam_run"]}): val_dev mIoU '
              f'{seg["miou"]:.2f}, with CRF {seg["miou_crf"]:.2f}')


def keep_times(old: Sequence[Dict], new: Dict) -> Dict:
    """``new`` with the stage times of ``old[0]`` where ``new`` skipped.

    A re-run skips the stages whose outputs are complete and reports 0 s
    for them; the summary keeps the time the stage took when it ran.
    """
    if not old:
        return new
    return {
        k: old[0].get(k, v) if k.endswith('_s') and v == 0.0 else v
        for k, v in new.items()
    }


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
        with open(path + '.tmp', 'w') as f:
            json.dump(summary, f, indent=2)
        os.replace(path + '.tmp', path)
    return summary


def main() -> None:
    """Run the stages over the experiments and seeds; write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--data-root',
        help='MSRC-VOC folder (default: $RPNET_DEMO_DATA, data/msrc_voc or '
        '../shared/data/msrc_voc)')
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
        help='experiments whose CAMs (first seed) go through IRN '
        '(default: rpnet when it runs; none: --refine with no name)')
    parser.add_argument(
        '--segment', nargs='*', default=None,
        help='experiment whose pseudo-labels train DeepLab-LargeFOV '
        '(default: rpnet when it runs; none: --segment with no name)')
    args = parser.parse_args()
    try:
        data_root = resolve_demo_data_root(args.data_root)
    except FileNotFoundError as e:
        sys.exit(f'error: {e}')
    demo = Demo(osp.relpath(data_root, ROOT), args.work_dir)
    for stage in ('refine', 'segment'):
        if getattr(args, stage) is None:
            setattr(args, stage, ['rpnet'] if 'rpnet' in args.only else [])
        unknown = set(getattr(args, stage)) - set(args.only)
        if unknown:
            parser.error(f'--{stage} {sorted(unknown)}: not in --only')
    if len(args.segment) > 1:
        parser.error('--segment takes at most one experiment')
    missing = set(args.segment) - set(args.refine)
    if missing:
        parser.error(f'--segment {sorted(missing)} needs its pseudo-labels: '
                     'add it to --refine')
    start = time.time()
    out = osp.join(ROOT, args.work_dir, 'summary.json')
    os.makedirs(osp.dirname(out), exist_ok=True)
    seed = args.seeds[0]
    for name in args.only:
        for s in args.seeds:
            try:
                result = run_cam_stage(demo, name, s, args.subset)
            except DeadStageError as e:
                sys.exit(f'error: {e}')
            update_summary(out, lambda d: d.update({name: {
                **d.get(name, {}),
                **summarize(name, [r for r in d.get(name, {}).get('runs', [])
                                   if r['seed'] != s] + [keep_times(
                                       [r for r in d.get(name, {}).get(
                                           'runs', []) if r['seed'] == s],
                                       result)], args.subset)
            }}))
        if name in args.refine:
            refined = run_refine_stage(demo, name, seed)
            update_summary(
                out, lambda d: d[name].update(keep_times([d[name]], refined)))
        if name in args.segment:
            seg = run_segment_stage(demo, name, seed)
            update_summary(out, lambda d: d.update(segmentation=seg))
    total = time.time() - start
    summary = update_summary(out, lambda d: d.update(last_total_s=total))
    print_table(summary, args.only)
    print(f'total {total:.0f} s; summary: '
          f'{osp.relpath(out, ROOT)}')


if __name__ == '__main__':
    main()
