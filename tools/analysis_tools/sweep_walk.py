"""Sweep the random walk's inference settings on a split with masks.

The pseudo-label stage has settings that its training does not touch: the
walk length (``exp_times``), the background (IRN's constant score, or a
walked ``(1 - max CAM) ** bg_power`` map) and an optional dense CRF. This
tool computes each image's boundary map once with a trained IRN, then
scores every combination on the two halves of the split (even / odd
lines, as ``tools/run_demo.py`` splits ``train_dev``) and reports the
setting chosen on one half with its mIoU on the other: a choice made on
other images than those it is reported on.

Example (the CPU demo's IRN, RPNet's seed-0 CAMs)::

    OMP_NUM_THREADS=1 python tools/analysis_tools/sweep_walk.py \\
        configs/irn/irn_effnetlite0_1xb8-3ep_msrc-192x192.py \\
        work_dirs/demo/rpnet/seed_0/irn/epoch_3.pth \\
        --cam-dir work_dirs/demo/rpnet/seed_0/cams \\
        --exp-times 4 6 8 --bg-thresholds 0.25 0.45 0.55 \\
        --bg-powers 3 4 6 --crf --out-json work_dirs/walk_sweep.json
"""
import argparse
import itertools
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmengine import fileio
from mmengine.config import Config
from mmengine.utils import track_iter_progress

from mmseg.registry import MODELS
from mmseg.utils import register_all_modules
from rpnet_mmseg.engine import load_checkpoint_strict
from rpnet_mmseg.evaluation import class_iou_acc, label_areas
from rpnet_mmseg.fileio import (cam_path, load_cam, read_mask, read_split,
                                save_json_atomic)
from rpnet_mmseg.refine import walk_to_pseudo_label
from rpnet_mmseg.utils import IRN_CRF_PARAMS, crf_relabel, exit_on_error

Setting = Tuple[float, int, str, float, bool]  # beta, exp_times, bg, crf


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Score random-walk settings on the halves of a split')
    parser.add_argument('config', help='IRN config')
    parser.add_argument('checkpoint', help='trained IRN weights')
    parser.add_argument(
        '--cam-dir', required=True,
        help="NAME.npz CAMs (IRN's NAME.npy are read too)")
    parser.add_argument(
        '--data-root', default='data/msrc_voc', help='VOC root')
    parser.add_argument(
        '--split',
        default='ImageSets/Segmentation/train_dev.txt',
        help='image list with masks, relative to --data-root or absolute')
    parser.add_argument('--img-suffix', default='.jpg')
    parser.add_argument(
        '--num-classes', type=int, default=15, help='background included')
    parser.add_argument('--exp-times', type=int, nargs='+', default=[8])
    parser.add_argument(
        '--betas', type=float, nargs='+',
        help="the boundary map's exponents to try (default: the config's)")
    parser.add_argument(
        '--bg-thresholds',
        type=float,
        nargs='*',
        default=[0.25],
        help="IRN's constant background scores to try")
    parser.add_argument(
        '--bg-powers',
        type=float,
        nargs='*',
        default=[],
        help='exponents of the walked background map to try')
    parser.add_argument(
        '--crf',
        action='store_true',
        help='also score every setting followed by the dense CRF')
    parser.add_argument('--out-json', help='write the table here')
    return parser.parse_args(argv)


def build_model(config: str, checkpoint: str) -> torch.nn.Module:
    """The IRN of ``config`` with ``checkpoint`` loaded, in eval mode."""
    register_all_modules()
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    load_checkpoint_strict(model, checkpoint)
    return model.eval()


def normalise(model: torch.nn.Module, image_bgr: np.ndarray) -> torch.Tensor:
    """(1, 3, H, W) input as the model's data preprocessor makes it."""
    chw = torch.from_numpy(np.ascontiguousarray(image_bgr)).permute(2, 0, 1)
    return model.data_preprocessor(dict(inputs=[chw]), False)['inputs']


def settings(args: argparse.Namespace) -> List[Setting]:
    """Every combination to score."""
    backgrounds = [('constant', t) for t in args.bg_thresholds] + \
        [('walked', p) for p in args.bg_powers]
    crfs = (False, True) if args.crf else (False, )
    return [(b, e, mode, value, crf) for b, e, (mode, value), crf in
            itertools.product(args.betas, args.exp_times, backgrounds, crfs)]


def label_name(setting: Setting) -> str:
    """Readable name of a setting."""
    beta, exp_times, mode, value, crf = setting
    bg = f'bg {value:g}' if mode == 'constant' else f'walked bg^{value:g}'
    return (f'beta {beta:g}, 2^{exp_times} steps, {bg}' +
            (', CRF' if crf else ''))


def miou(areas: np.ndarray) -> float:
    """Mean IoU (%) over the classes present in the masks or predictions."""
    return float(100 * np.nanmean(class_iou_acc(areas)[0]))


def sweep(args: argparse.Namespace) -> Dict:
    """Score every setting on both halves; return the report."""
    names = read_split(osp.join(args.data_root, args.split))
    model = build_model(args.config, args.checkpoint)
    args.betas = args.betas or [model.beta]
    combos = settings(args)
    nc = args.num_classes
    areas = np.zeros((len(combos), 2, 4, nc), np.int64)
    for i, name in enumerate(track_iter_progress(names)):
        half = i % 2
        image = mmcv.imfrombytes(
            fileio.get(osp.join(args.data_root, 'JPEGImages',
                                name + args.img_suffix)))
        mask = read_mask(
            osp.join(args.data_root, 'SegmentationClass', name + '.png'))
        cam = load_cam(
            cam_path(args.cam_dir, name),
            image_shape=mask.shape,
            required=('cam', ))
        with torch.no_grad():
            boundary = model.predict_boundary(normalise(model, image))
        keys = torch.from_numpy(cam['keys'])
        cams = torch.from_numpy(cam['cam'])
        labels = {}
        for k, (beta, exp_times, mode, value, crf) in enumerate(combos):
            walk = (beta, exp_times, mode, value)
            if walk not in labels:
                labels[walk] = walk_to_pseudo_label(
                    cams, keys, boundary, mask.shape, model.test_path_index,
                    beta=beta, exp_times=exp_times,
                    bg_threshold=value if mode == 'constant' else 0.25,
                    stride=model.stride, bg_mode=mode,
                    bg_power=value if mode == 'walked' else None)
            label = labels[walk]
            if crf:
                label = torch.from_numpy(crf_relabel(
                    image[..., ::-1], label.numpy(),
                    np.concatenate([[0], cam['keys'] + 1]),
                    **IRN_CRF_PARAMS))
            areas[k, half] += label_areas(label.numpy(), mask, nc)
    rows = [
        dict(setting=label_name(s), beta=s[0], exp_times=s[1], bg_mode=s[2],
             bg_value=s[3], crf=s[4], half0=miou(areas[k, 0]),
             half1=miou(areas[k, 1]), all=miou(areas[k].sum(0)))
        for k, s in enumerate(combos)
    ]
    chosen = [max(rows, key=lambda r: r[f'half{h}']) for h in (0, 1)]
    return dict(
        split=args.split,
        cam_dir=args.cam_dir,
        checkpoint=args.checkpoint,
        rows=rows,
        chosen_on_half0=dict(setting=chosen[0]['setting'],
                             half1=chosen[0]['half1']),
        chosen_on_half1=dict(setting=chosen[1]['setting'],
                             half0=chosen[1]['half0']),
        cross_validated=(chosen[0]['half1'] + chosen[1]['half0']) / 2)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    """Run the sweep, print the table, optionally write the JSON."""
    args = parse_args(argv)
    if not args.bg_thresholds and not args.bg_powers:
        raise ValueError('give --bg-thresholds and/or --bg-powers')
    report = sweep(args)
    print(f'\n{"setting":<46} {"half0":>6} {"half1":>6} {"all":>6}')
    for r in report['rows']:
        print(f'{r["setting"]:<46} {r["half0"]:>6.2f} {r["half1"]:>6.2f} '
              f'{r["all"]:>6.2f}')
    c0, c1 = report['chosen_on_half0'], report['chosen_on_half1']
    print(f'chosen on half0: {c0["setting"]} -> half1 {c0["half1"]:.2f}')
    print(f'chosen on half1: {c1["setting"]} -> half0 {c1["half0"]:.2f}')
    print(f'cross-validated mIoU: {report["cross_validated"]:.2f}')
    if args.out_json:
        save_json_atomic(args.out_json, report)
    return report


if __name__ == '__main__':
    exit_on_error(main)
