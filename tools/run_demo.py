"""The CPU demo on MSRC-VOC: CAM networks, several seeds, end to end.

For each experiment and seed: train the CAM network (image-level labels of
MSRC-VOC ``train`` only), write CAMs for every ``train`` image, evaluate them
on the ``train_dev`` masks, draw overlays. Each step is the user-facing
command (``tools/train.py``, ``tools/test.py``, ``tools/eval_cams.py``) and
each resumes: training with ``--resume``, CAM writing skips finished files.

CAM mIoU is reported three ways: at the best background threshold t of the
sweep (IRN's protocol, t chosen on the images it is reported on), at IRN's
fixed t = 0.15, and cross-validated: ``train_dev`` is split in two halves
(even / odd lines), t is chosen on one half and the mIoU reported on the
other, both ways, and the two held-out mIoUs are averaged.

Writes ``WORK_DIR/summary.json`` (``NAME.runs``: one entry per seed with its
``cam_dir``) and prints the numbers per seed and as mean +- std.

Usage:
    python tools/run_demo.py [--work-dir work_dirs/demo] [--seeds 0 1 2]
        [--subset 0.25] [--only rpnet baseline ...]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Sequence

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from rpnet_mmseg.utils import StagePaths  # noqa: E402

DATA_ROOT = osp.join('..', 'shared', 'data', 'msrc_voc')
FIXED_T = 0.15

# name -> (config, extra --cfg-options). RPNet sees two images per sample, so
# the baseline at the same budget ('baseline') trains twice the epochs;
# 'baseline_1x' is the baseline at RPNet's epochs, 'baseline_4x' at four
# times them. The rpnet_* entries are the readings of eqs. 12-13 compared in
# the README (the default is 'rpnet').
EXPERIMENTS = {
    'rpnet': ('configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py',
              []),
    'baseline': ('configs/cam/cam_effnetlite0_1xb16-6ep_msrc-192x192.py', []),
    'baseline_1x': ('configs/cam/cam_effnetlite0_1xb16-3ep_msrc-192x192.py',
                    []),
    'baseline_4x': ('configs/cam/cam_effnetlite0_1xb16-12ep_msrc-192x192.py',
                    []),
    'rpnet_release_grad':
    ('configs/rpnet/rpnet-releasegrad_effnetlite0_1xb16-3ep_msrc-192x192.py',
     []),
    'rpnet_both_cls':
    ('configs/rpnet/rpnet-bothcls_effnetlite0_1xb16-3ep_msrc-192x192.py', []),
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


def split_names(split: str) -> List[str]:
    """Image names of a split file of the demo data."""
    with open(osp.join(ROOT, DATA_ROOT, split)) as f:
        return [line.strip() for line in f if line.strip()]


def num_train_images(names: List[str], subset: float) -> int:
    """Training images kept by ``subset_fraction`` (seed 0), as the dataset."""
    if subset >= 1:
        return len(names)
    from rpnet_mmseg.datasets import select_class_subset
    labels = np.load(
        osp.join(ROOT, DATA_ROOT, 'cls_labels.npy'), allow_pickle=True).item()
    matrix = np.stack([labels[n] for n in names])
    return len(select_class_subset(matrix, subset, seed=0))


def write_half_splits(out_dir: str) -> List[str]:
    """Write ``train_dev`` halves (even / odd lines); return their paths."""
    names = split_names('ImageSets/Segmentation/train_dev.txt')
    paths = []
    for k in range(2):
        path = osp.join(ROOT, out_dir, f'train_dev_half{k}.txt')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'w') as f:
            f.write('\n'.join(names[k::2]) + '\n')
        os.replace(path + '.tmp', path)
        paths.append(path)
    return paths


def eval_cams(cam_dir: str, split: str, out_json: str,
              extra: Sequence[str] = ()) -> Dict:
    """Run ``tools/eval_cams.py`` on one split; return its JSON report."""
    run([
        sys.executable, 'tools/eval_cams.py', '--cam-dir', cam_dir,
        '--data-root', DATA_ROOT, '--split', split, '--labels-json',
        osp.join(DATA_ROOT, 'labels.json'), '--out-json', out_json, *extra
    ])
    with open(osp.join(ROOT, out_json)) as f:
        return json.load(f)


def cross_validated_miou(halves: Sequence[Dict]) -> float:
    """Mean held-out mIoU: t chosen on one half, scored on the other."""
    scores = []
    for k in range(2):
        chosen = halves[k]['best_threshold']
        scores.append(halves[1 - k]['sweep'][f'{chosen:.2f}'])
    return float(np.mean(scores))


def run_cam_stage(name: str, seed: int, work_root: str,
                  subset: float) -> Dict:
    """Train, write CAMs, evaluate and draw overlays for one run."""
    config, options = EXPERIMENTS[name]
    cfg = Config.fromfile(osp.join(ROOT, config))
    epochs = cfg.train_cfg.max_epochs
    imgs_per_sample = 2 if cfg.train_dataloader.dataset.get('paired') else 1
    paths = StagePaths(osp.join(work_root, name, f'seed_{seed}'))
    options = list(options) + [f'randomness.seed={seed}']
    if subset < 1:
        options.append(f'train_dataloader.dataset.subset_fraction={subset}')
    py = sys.executable
    times = {}
    times['train_s'] = run([
        py, 'tools/train.py', config, '--work-dir', paths.cam_work_dir,
        '--resume', '--cfg-options', *options
    ])
    ckpt = osp.join(paths.cam_work_dir, f'epoch_{epochs}.pth')
    names = split_names('ImageSets/Segmentation/train.txt')
    done = [
        n for n in names
        if osp.isfile(osp.join(ROOT, paths.cam_dir, n + '.npy'))
    ]
    times['cam_s'] = 0.0
    if len(done) < len(names):
        times['cam_s'] = run([
            py, 'tools/test.py', config, ckpt, '--work-dir',
            paths.cam_work_dir, '--cfg-options',
            f'test_evaluator.output_dir={paths.cam_dir}',
            f'test_dataloader.dataset.skip_done_dir={paths.cam_dir}'
        ])
    start = time.time()
    full = eval_cams(
        paths.cam_dir, 'ImageSets/Segmentation/train_dev.txt',
        osp.join(paths.root, 'cam_eval_train_dev.json'), [
            '--overlay-dir', paths.cam_overlay_dir, '--num-overlays', '8'
        ])
    halves = [
        eval_cams(paths.cam_dir, split,
                  osp.join(paths.root, f'cam_eval_half{k}.json'))
        for k, split in enumerate(write_half_splits(paths.root))
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
        num_train_images(names, subset),
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
    """Print per-seed and mean +- std CAM mIoU of each experiment."""
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


def main() -> None:
    """Run the experiments over the seeds and write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2],
        help='training seeds (randomness.seed) of every experiment')
    parser.add_argument(
        '--subset',
        type=float,
        default=1.0,
        help='keep this fraction of each class (Table II), e.g. 0.25')
    parser.add_argument(
        '--only', nargs='+', choices=sorted(EXPERIMENTS),
        default=['rpnet', 'baseline'])
    args = parser.parse_args()
    if not osp.isdir(osp.join(ROOT, DATA_ROOT)):
        sys.exit(f'demo data not found: {osp.join(ROOT, DATA_ROOT)}')
    start = time.time()
    out = osp.join(ROOT, args.work_dir, 'summary.json')
    os.makedirs(osp.dirname(out), exist_ok=True)
    summary = {}
    if osp.isfile(out):  # keep the experiments of earlier invocations
        with open(out) as f:
            summary = json.load(f)
    for name in args.only:
        old = {r['seed']: r for r in summary.get(name, {}).get('runs', [])}
        for seed in args.seeds:
            old[seed] = run_cam_stage(name, seed, args.work_dir, args.subset)
            summary[name] = summarize(name, list(old.values()), args.subset)
            write_json(out, summary)
    summary['total_s'] = time.time() - start
    write_json(out, summary)
    print_table(summary, args.only)
    print(f'total {summary["total_s"]:.0f} s; summary: '
          f'{osp.relpath(out, ROOT)}')


def write_json(path: str, obj: Dict) -> None:
    """Write ``obj`` as JSON atomically."""
    with open(path + '.tmp', 'w') as f:
        json.dump(obj, f, indent=2)
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()
