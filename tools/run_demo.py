"""The CPU demo: RPNet vs. the plain-CAM baseline on MSRC-VOC, end to end.

For each experiment: train the CAM network (image-level labels of MSRC-VOC
``train`` only), write CAMs for every ``train`` image, evaluate them on the
``train_dev`` masks, draw overlays. Each step is the user-facing command
(``tools/train.py``, ``tools/test.py``, ``tools/eval_cams.py``) and each
resumes: training with ``--resume``, CAM writing skips finished files.
Writes ``WORK_DIR/summary.json`` and prints the numbers side by side.

Usage:
    python tools/run_demo.py [--work-dir work_dirs/demo] [--subset 0.25]
        [--only rpnet baseline ...]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA_ROOT = osp.join('..', 'shared', 'data', 'msrc_voc')

# RPNet sees two images per sample, so the baseline at the same budget
# ('baseline') trains twice the epochs; 'baseline_1x' is the baseline at
# RPNet's epochs, 'baseline_4x' at four times them (its plateau);
# 'rpnet_paperloss' is RPNet with the paper's literal losses.
EXPERIMENTS = {
    'rpnet': 'configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py',
    'baseline': 'configs/cam/cam_effnetlite0_1xb16-6ep_msrc-192x192.py',
    'baseline_1x': 'configs/cam/cam_effnetlite0_1xb16-3ep_msrc-192x192.py',
    'baseline_4x': 'configs/cam/cam_effnetlite0_1xb16-12ep_msrc-192x192.py',
    'rpnet_paperloss':
    'configs/rpnet/rpnet-paperloss_effnetlite0_1xb16-3ep_msrc-192x192.py',
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
    import numpy as np

    from rpnet_mmseg.datasets import select_class_subset
    labels = np.load(
        osp.join(ROOT, DATA_ROOT, 'cls_labels.npy'), allow_pickle=True).item()
    matrix = np.stack([labels[n] for n in names])
    return len(select_class_subset(matrix, subset, seed=0))


def run_experiment(name: str, work_root: str, subset: float) -> Dict:
    """Train, write CAMs, evaluate and draw overlays for one experiment."""
    config = EXPERIMENTS[name]
    cfg = Config.fromfile(osp.join(ROOT, config))
    epochs = cfg.train_cfg.max_epochs
    imgs_per_sample = 2 if cfg.train_dataloader.dataset.get('paired') else 1
    work_dir = osp.join(work_root, name)
    cam_dir = osp.join(work_dir, 'cams')
    py = sys.executable
    times = {}
    train_cmd = [py, 'tools/train.py', config, '--work-dir', work_dir,
                 '--resume']
    if subset < 1:
        train_cmd += ['--cfg-options',
                      f'train_dataloader.dataset.subset_fraction={subset}']
    times['train_s'] = run(train_cmd)
    ckpt = osp.join(work_dir, f'epoch_{epochs}.pth')
    names = split_names('ImageSets/Segmentation/train.txt')
    done = [n for n in names
            if osp.isfile(osp.join(ROOT, cam_dir, n + '.npy'))]
    times['cam_s'] = 0.0
    if len(done) < len(names):
        times['cam_s'] = run([
            py, 'tools/test.py', config, ckpt, '--work-dir', work_dir,
            '--cfg-options', f'test_evaluator.output_dir={cam_dir}',
            f'test_dataloader.dataset.skip_done_dir={cam_dir}'
        ])
    eval_json = osp.join(work_dir, 'cam_eval_train_dev.json')
    times['eval_s'] = run([
        py, 'tools/eval_cams.py', '--cam-dir', cam_dir, '--data-root',
        DATA_ROOT, '--split', 'ImageSets/Segmentation/train_dev.txt',
        '--labels-json', osp.join(DATA_ROOT, 'labels.json'), '--out-json',
        eval_json, '--overlay-dir', osp.join(work_dir, 'overlays'),
        '--num-overlays', '8'
    ])
    with open(osp.join(ROOT, eval_json)) as f:
        result = json.load(f)
    return dict(
        config=config,
        cam_dir=cam_dir,
        cam_miou=result['mIoU'],
        best_threshold=result['best_threshold'],
        epochs=epochs,
        image_passes=epochs * imgs_per_sample * num_train_images(
            names, subset),
        **times)


def main() -> None:
    """Run the experiments and write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
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
        summary[name] = run_experiment(name, args.work_dir, args.subset)
        summary[name]['subset'] = args.subset
    summary['total_s'] = time.time() - start
    with open(out + '.tmp', 'w') as f:
        json.dump(summary, f, indent=2)
    os.replace(out + '.tmp', out)
    print(f'\nCAM mIoU on MSRC-VOC train_dev ({args.work_dir}, '
          f'subset {args.subset:g}):')
    print(f'{"model":<12} {"epochs":>6} {"img passes":>10} {"mIoU":>6} '
          f'{"best t":>6} {"train s":>8}')
    for name in args.only:
        r = summary[name]
        print(f'{name:<12} {r["epochs"]:>6} {r["image_passes"]:>10.0f} '
              f'{r["cam_miou"]:>6.2f} {r["best_threshold"]:>6.2f} '
              f'{r["train_s"]:>8.0f}')
    print(f'total {summary["total_s"]:.0f} s; summary: '
          f'{osp.relpath(out, ROOT)}')


if __name__ == '__main__':
    main()
