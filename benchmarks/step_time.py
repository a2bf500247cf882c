"""Time one RPNet training step against one plain-CAM step.

Same backbone, same batch of images (RPNet: B/2 pairs, baseline: B single
images), same optimizer; the two models' steps alternate, so a change in
the machine's load reaches both alike. Prints the median step times and
their ratio (goal: RPNet <= 1.1x the baseline). The RPNet step is a full
training step of the shipped config: with ``cls_loss_on='both'`` its
backward runs through the prototype branch (G(FM), the projections).

Usage:
    python benchmarks/step_time.py [--rpnet CONFIG] [--baseline CONFIG]
        [--batch 16] [--size 256] [--steps 10] [--warmup 3]
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import rpnet_mmseg  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402


def build(config: str, device: str):
    """Model and optimizer wrapper of a config, ImageNet weights skipped."""
    cfg = Config.fromfile(config)
    if cfg.model.backbone.get('type') == 'EfficientNetLite0':
        cfg.model.backbone.pretrained = False
    else:
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).to(device)
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def make_batch(batch: int, size: int, num_classes: int) -> dict:
    """Random images; consecutive images (a pair) share a class."""
    g = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, size, size), generator=g,
                              dtype=torch.uint8) for _ in range(batch)],
        data_samples=[])
    for i in range(batch):
        ds = SegDataSample(metainfo=dict(img_shape=(size, size),
                                         ori_shape=(size, size)))
        label = torch.zeros(num_classes)
        label[(i // 2) % num_classes] = 1  # pairs share a class
        ds.gt_label = label
        data['data_samples'].append(ds)
    return data


def time_step(model, optim, data: dict, device: str) -> float:
    """Seconds of one training step."""
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.train_step(data, optim)
    if device == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    """Time both models and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--rpnet',
        default='configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py')
    parser.add_argument(
        '--baseline',
        default='configs/cam/cam_effnetlite0_1xb16-6ep_msrc-256x256.py')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    args = parser.parse_args()
    register_all_modules()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    runs = {}
    for name, config in (('baseline', args.baseline), ('rpnet', args.rpnet)):
        torch.manual_seed(0)
        model, optim = build(config, device)
        runs[name] = (model, optim,
                      make_batch(args.batch, args.size,
                                 model.head.num_classes))
    results = {name: [] for name in runs}
    for i in range(args.warmup + args.steps):
        for name, (model, optim, data) in runs.items():
            seconds = time_step(model, optim, data, device)
            if i >= args.warmup:
                results[name].append(seconds)
    base = statistics.median(results['baseline'])
    rp = statistics.median(results['rpnet'])
    print(f'device {device}, batch {args.batch} images of {args.size}px, '
          f'{args.steps} timed steps after {args.warmup} warm-up')
    for name in ('baseline', 'rpnet'):
        t = results[name]
        print(f'{name:<9} median {statistics.median(t):.3f} s/step '
              f'(min {min(t):.3f}, max {max(t):.3f})')
    print(f'ratio rpnet/baseline: {rp / base:.3f} (goal <= 1.1)')


if __name__ == '__main__':
    main()
