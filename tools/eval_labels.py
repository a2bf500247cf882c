"""Score a folder of label maps (``NAME.png``) against the masks of a split.

The file-based twin of the test loops' IoU metrics: it scores what is on
disk (pseudo-labels, predictions, relation labels with 255 left out), so a
pipeline's numbers always describe its files. IoU by the package's one
path on mmseg's ``IoUMetric`` (``label_areas`` / ``class_iou_acc``); images
without a mask are skipped and counted.

Example::

    python tools/eval_labels.py --label-dir work_dirs/demo/rpnet/seed_0/pseudo_labels \\
        --data-root data/msrc_voc --split ImageSets/Segmentation/train_dev.txt \\
        --part 1/2 --out-json work_dirs/demo/rpnet/seed_0/pseudo_label_eval_half1.json
"""
import argparse
import os.path as osp
import sys
from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine import fileio
from mmengine.logging import print_log

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # eval_cams' helpers
sys.path.insert(1, osp.dirname(osp.dirname(osp.abspath(__file__))))

from eval_cams import load_class_info, split_part  # noqa: E402
from rpnet_mmseg.evaluation import class_iou_acc, label_areas  # noqa: E402
from rpnet_mmseg.fileio import (read_mask, read_split,  # noqa: E402
                                save_json_atomic, split_path)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='mIoU of a folder of NAME.png label maps')
    parser.add_argument('--label-dir', required=True, help='NAME.png maps')
    parser.add_argument('--data-root', required=True, help='VOC-style root')
    parser.add_argument('--split', required=True,
                        help='image list, relative to --data-root or absolute')
    parser.add_argument('--part', metavar='K/N',
                        help='only lines K, K+N, ... of the split')
    names = parser.add_mutually_exclusive_group()
    names.add_argument('--labels-json', help='JSON with "classes"; '
                       'defaults to DATA_ROOT/labels.json')
    names.add_argument('--classes', nargs='+',
                       help="class names, background first, or 'voc'")
    parser.add_argument('--mask-dir', default='SegmentationClass')
    parser.add_argument('--mask-suffix', default='.png')
    parser.add_argument('--ignore-index', type=int, default=255)
    parser.add_argument(
        '--masks', choices=['required', 'optional'], default='required',
        help="'optional': a split without any mask gives a report without "
        "an mIoU (said in the log) instead of an error")
    parser.add_argument('--out-json', help='write the results here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Score the folder; return (and optionally write) the report."""
    args = parse_args(argv)
    class_names, _ = load_class_info(args)
    num_classes = len(class_names)
    names = read_split(split_path(args.data_root, args.split))
    if args.part:
        names = names[split_part(args.part, len(names))]
    areas, without_mask = [], []
    for name in names:
        mask_path = osp.join(args.data_root, args.mask_dir,
                             name + args.mask_suffix)
        if not fileio.exists(mask_path):
            without_mask.append(name)
            continue
        label_path = osp.join(args.label_dir, name + '.png')
        if not osp.isfile(label_path):
            raise FileNotFoundError(f'{label_path}: no label map for {name} '
                                    f'of {args.split}')
        mask = read_mask(mask_path)
        label = read_mask(label_path)
        if label.shape != mask.shape:
            raise ValueError(f'{label_path}: shape {label.shape} differs from '
                             f'its mask {mask_path} {mask.shape}')
        areas.append(label_areas(label, mask, num_classes, args.ignore_index))
    if not areas:
        message = (f'no image of {args.split} has a mask under '
                   f'{osp.join(args.data_root, args.mask_dir)}')
        if args.masks == 'required':
            raise ValueError(message)
        print_log(f'{message}: no mIoU', logger='current')
    iou = class_iou_acc(np.sum(areas, axis=0))[0] if areas else np.full(
        num_classes, np.nan)
    report = {
        'label_dir': args.label_dir,
        'split': args.split,
        'part': args.part,
        'num_images': len(areas),
        'num_without_mask': len(without_mask),
        'mIoU': round(float(np.nanmean(iou)) * 100, 4) if areas else None,
        'per_class_iou': {
            n: None if np.isnan(v) else round(float(v) * 100, 4)
            for n, v in zip(class_names, iou)
        },
    }
    if areas:
        print_log(f'{args.label_dir}: mIoU {report["mIoU"]:.2f} over '
                  f'{len(areas)} images of {args.split}'
                  + (f' (part {args.part})' if args.part else ''),
                  logger='current')
    if args.out_json:
        save_json_atomic(args.out_json, report)
    return report


if __name__ == '__main__':
    main()
