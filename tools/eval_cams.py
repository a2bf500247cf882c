"""Evaluate a directory of CAM files against the masks of a split, no model.

Implements the CAM mIoU of docs/en/method.md section 2.2 (IRN's
``eval_cam.py``): background score t as channel 0, argmax, confusion matrix,
255 ignored, swept over t. Prints the sweep and the per-class table at the best
t, and optionally writes a JSON summary and overlay pictures (at the best t).
With ``--crf`` each label map is refined by a dense CRF on its image first
(IRN's relation-label CRF: the CAM + CRF baseline the IRN stage must beat).

Example::

    python tools/eval_cams.py --cam-dir work_dirs/cam/cams \\
        --data-root data/msrc_voc \\
        --split ImageSets/Segmentation/train_dev.txt \\
        --out-json work_dirs/cam/cam_miou.json \\
        --overlay-dir work_dirs/cam/overlays --num-overlays 8
"""
import argparse
import json
import os.path as osp
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmengine import fileio
from mmengine.logging import MMLogger, print_log
from mmengine.utils import track_iter_progress

from rpnet_mmseg.fileio import (cam_path, format_threshold, image_file,
                                load_cam, read_mask, read_record, read_split,
                                save_json_atomic, split_path, voc_colormap)
from rpnet_mmseg.evaluation.metrics.cam_metric import (
    DEFAULT_THRESHOLDS, cam_areas, format_sweep_tables,
    missing_masks_message, summarize_areas)
from rpnet_mmseg.utils import IRN_CRF_PARAMS, crf_relabel, exit_on_error


# The background threshold without masks: RPNet's CPU configs chose 0.30 to
# 0.35 on MSRC's masks (docs/en/results.md); IRN's 0.15 scored 11 points
# lower on those CAMs.
NO_MASK_THRESHOLD = 0.30


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='CAM mIoU of a CAM directory over a background '
        'threshold sweep (IRN protocol)')
    parser.add_argument(
        '--cam-dir', required=True,
        help="NAME.npz CAM files (IRN's NAME.npy are read too)")
    parser.add_argument('--data-root', required=True, help='VOC-style root')
    parser.add_argument(
        '--split',
        required=True,
        help='image list, relative to --data-root or absolute, e.g. '
        'ImageSets/Segmentation/train_dev.txt')
    names = parser.add_mutually_exclusive_group()
    names.add_argument(
        '--labels-json',
        help='JSON with "classes" (background first) and "palette"; '
        'defaults to DATA_ROOT/labels.json')
    names.add_argument(
        '--classes',
        nargs='+',
        help="class names, background first, or 'voc' for PASCAL VOC's 21")
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=list(DEFAULT_THRESHOLDS),
        help='background scores to sweep')
    parser.add_argument('--key', default='high_res', help='CAM array')
    parser.add_argument('--ignore-index', type=int, default=255)
    parser.add_argument('--img-dir', default='JPEGImages')
    parser.add_argument(
        '--img-suffix', nargs='+', default=['.jpg'],
        help='image suffix, or suffixes tried in order (a folder of photos '
        'mixes .jpg and .png)')
    parser.add_argument('--mask-dir', default='SegmentationClass')
    parser.add_argument('--mask-suffix', default='.png')
    parser.add_argument('--out-json', help='write the results here')
    parser.add_argument('--overlay-dir', help='write overlay PNGs here')
    parser.add_argument('--num-overlays', type=int, default=8)
    parser.add_argument(
        '--part',
        metavar='K/N',
        help='score only lines K, K+N, K+2N, ... (0-based) of the split, '
        'e.g. 0/2 and 1/2 for the two halves of a cross-validated '
        'threshold')
    parser.add_argument(
        '--masks', choices=['required', 'optional'], default='required',
        help="'optional': score the images that have a mask, skip the "
        'others; with none, no mIoU, and the threshold is '
        '--default-threshold (said in the log and the JSON)')
    parser.add_argument(
        '--default-threshold', type=float, default=NO_MASK_THRESHOLD,
        help='background threshold when no image has a mask (default: '
        '%(default)s, the middle of the best thresholds of the shipped CPU '
        'CAM configs on MSRC)')
    parser.add_argument(
        '--crf',
        action='store_true',
        help='refine each label map by a dense CRF on its image (IRN\'s '
        'relation-label CRF) before scoring: CAM + CRF; costs one CRF per '
        'image and threshold, so give few --thresholds')
    return parser.parse_args(argv)


def split_part(part: str, num: int) -> slice:
    """The slice ``K::N`` of a ``--part K/N`` over ``num`` names.

    Raises:
        ValueError: If ``part`` is not ``K/N`` with ``0 <= K < N`` or
            selects no name.
    """
    try:
        k, n = (int(v) for v in part.split('/'))
    except ValueError:
        raise ValueError(f'--part {part!r}: expected K/N, e.g. 0/2') from None
    if not 0 <= k < n or k >= num:
        raise ValueError(f'--part {part!r}: K must be in [0, N) and below '
                         f'the {num} names of the split')
    return slice(k, None, n)


def load_class_info(args: argparse.Namespace) -> Tuple[List[str], list]:
    """Return class names (background first) and palette from the args."""
    if args.classes == ['voc']:  # PASCAL VOC 2012's 21 classes, from mmseg
        from mmseg.datasets import PascalVOCDataset
        meta = PascalVOCDataset.METAINFO
        return list(meta['classes']), [list(c) for c in meta['palette']]
    if args.classes:
        return list(args.classes), voc_colormap(len(args.classes))
    path = args.labels_json or osp.join(args.data_root, 'labels.json')
    if not fileio.exists(path):
        raise FileNotFoundError(
            f'no class names: {path} does not exist; pass --labels-json or '
            '--classes')
    info = json.loads(fileio.get_text(path))
    classes = list(info['classes'])
    palette = info.get('palette') or voc_colormap(len(classes))
    return classes, palette


def evaluate_cam_dir(cam_dir: str,
                     names: Sequence[str],
                     mask_paths: Sequence[str],
                     num_classes: int,
                     thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                     key: str = 'high_res',
                     ignore_index: int = 255,
                     img_paths: Optional[Sequence[str]] = None,
                     crf: Optional[Dict[str, Any]] = None) -> np.ndarray:
    """Sum the per-threshold pixel counts of a CAM directory (mmseg's
    ``IoUMetric`` counts, see :func:`cam_areas`).

    Every mask and every CAM file is checked to exist before the loop, so a
    wrong split or an unfinished CAM run fails at once.

    Args:
        cam_dir (str): Directory of CAM files (``NAME.npz`` or IRN's
            ``NAME.npy``).
        names (Sequence[str]): Image names.
        mask_paths (Sequence[str]): Mask path of each image.
        num_classes (int): Number of classes, background included.
        thresholds (Sequence[float]): Background scores t.
        key (str): CAM array to evaluate. Defaults to 'high_res'.
        ignore_index (int): Void mask value. Defaults to 255.
        img_paths (Sequence[str], optional): Image path of each image;
            needed by ``crf``.
        crf (dict, optional): CRF parameters of
            :func:`rpnet_mmseg.utils.crf_relabel` (label unary); when
            given, every label map is refined by a dense CRF on its image
            before it is counted (CAM + CRF). Defaults to None.

    Returns:
        np.ndarray: int64 [T, 4, C] intersection, union, prediction and
            ground-truth pixels per threshold and class.

    Raises:
        FileNotFoundError: If masks (all listed) or CAM files are missing.
        ValueError: If a CAM file does not fit its mask (names the file).
    """
    missing = [n for n, p in zip(names, mask_paths) if not fileio.exists(p)]
    if missing:
        raise FileNotFoundError(missing_masks_message(missing))
    cam_files = [cam_path(cam_dir, n) for n in names]
    no_cam = [p for p in cam_files if not fileio.exists(p)]
    if no_cam:
        more = f' (and {len(no_cam) - 1} more)' if len(no_cam) > 1 else ''
        raise FileNotFoundError(f'CAM file not found: {no_cam[0]}{more}; '
                                'run the CAM step on this split first')
    if crf is not None and img_paths is None:
        raise ValueError('the CRF needs the images: pass img_paths')
    areas = np.zeros((len(thresholds), 4, num_classes), np.int64)
    for i, (cam_file, mask_path) in enumerate(
            track_iter_progress(list(zip(cam_files, mask_paths)))):
        mask = read_mask(mask_path)
        cam_dict = load_cam(cam_file, image_shape=mask.shape, required=(key, ))
        refine = None
        if crf is not None:
            refine = partial(_crf_refine, read_rgb(img_paths[i], mask.shape),
                             crf)

        areas += cam_areas(cam_dict, mask, num_classes, thresholds, key,
                           ignore_index, cam_file, refine)
    return areas


def _crf_refine(image: np.ndarray, crf: Dict[str, Any], label: np.ndarray,
                keys: np.ndarray) -> np.ndarray:
    """A CAM label map refined by the dense CRF on its image."""
    return crf_relabel(image, label, np.concatenate([[0], keys + 1]), **crf)


def read_rgb(path: str, shape: Sequence[int]) -> np.ndarray:
    """Read an image as (H, W, 3) uint8 RGB and check it fits ``shape``."""
    if not fileio.exists(path):
        raise FileNotFoundError(f'image not found: {path}')
    image = mmcv.imfrombytes(fileio.get(path), channel_order='rgb')
    if image.shape[:2] != tuple(shape):
        raise ValueError(f'{path}: the image is {image.shape[:2]} but its '
                         f'mask is {tuple(shape)}')
    return image


def to_json(summary: Dict[str, Any], args: argparse.Namespace,
            num_images: int) -> Dict[str, Any]:
    """Build the JSON report (percentages; NaN IoU as null)."""

    def pct(value: float) -> Optional[float]:
        return None if np.isnan(value) else round(value * 100, 4)

    return {
        'cam_dir': args.cam_dir,
        # What produced the CAMs (.rpnet_stage.json), None if unrecorded.
        'cam_producer': read_record(args.cam_dir),
        'split': args.split,
        'part': args.part,
        'key': args.key,
        'crf': IRN_CRF_PARAMS if args.crf else None,
        'num_images': num_images,
        'mIoU': pct(summary['best_miou']),
        'best_threshold': summary['best_threshold'],
        'sweep': {
            format_threshold(t): pct(m)
            for t, m in zip(summary['thresholds'], summary['miou'])
        },
        'per_class_iou': {
            name: pct(iou)
            for name, iou in zip(summary['class_names'],
                                 summary['class_iou'])
        },
    }


def no_mask_report(args: argparse.Namespace, num_images: int,
                   logger: MMLogger) -> Dict[str, Any]:
    """The report of a split without masks: no mIoU, the default
    threshold (said, not silent)."""
    print_log(
        f'no image of {args.split} has a mask under '
        f'{osp.join(args.data_root, args.mask_dir)}: no CAM mIoU; the '
        f'background threshold is --default-threshold '
        f'{args.default_threshold}', logger=logger)
    report = {
        'cam_dir': args.cam_dir, 'split': args.split, 'part': args.part,
        'key': args.key, 'crf': IRN_CRF_PARAMS if args.crf else None,
        'num_images': 0, 'num_without_mask': num_images, 'mIoU': None,
        'best_threshold': args.default_threshold,
        'threshold_rule': 'default (no masks)'
    }
    if args.out_json:
        save_json_atomic(args.out_json, report)
    return report


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the evaluation; return the JSON report."""
    args = parse_args(argv)
    logger = MMLogger.get_current_instance()
    class_names, palette = load_class_info(args)
    names = read_split(split_path(args.data_root, args.split))
    if args.part:
        names = names[split_part(args.part, len(names))]
    mask_paths = [
        osp.join(args.data_root, args.mask_dir, n + args.mask_suffix)
        for n in names
    ]
    if args.masks == 'optional':
        kept = [i for i, p in enumerate(mask_paths) if fileio.exists(p)]
        print_log(f'{len(kept)} of {len(names)} images of {args.split} have '
                  'a mask (--masks optional): those are scored',
                  logger=logger)
        if not kept:
            report = no_mask_report(args, len(names), logger)
            draw_overlays(args, names, class_names, palette,
                          args.default_threshold, logger)
            return report
        names = [names[i] for i in kept]
        mask_paths = [mask_paths[i] for i in kept]
    img_paths = [
        image_file(osp.join(args.data_root, args.img_dir), n,
                   args.img_suffix) for n in names
    ]
    areas = evaluate_cam_dir(
        args.cam_dir, names, mask_paths, len(class_names), args.thresholds,
        args.key, args.ignore_index, img_paths,
        dict(IRN_CRF_PARAMS) if args.crf else None)
    summary = summarize_areas(areas, args.thresholds, class_names)
    print_log(
        f'\n{len(names)} images of {args.split}, CAMs from {args.cam_dir}\n' +
        format_sweep_tables(summary),
        logger=logger)
    report = to_json(summary, args, len(names))
    if args.out_json:
        save_json_atomic(args.out_json, report)
        print_log(f'results written to {args.out_json}', logger=logger)
    draw_overlays(args, names, class_names, palette,
                  summary['best_threshold'], logger)
    return report


def draw_overlays(args: argparse.Namespace, names: Sequence[str],
                  class_names: Sequence[str], palette: list,
                  threshold: float, logger: MMLogger) -> None:
    """The CAM overlays of ``--overlay-dir`` at ``threshold``."""
    if not args.overlay_dir or args.num_overlays <= 0:
        return
    # Imported here: matplotlib is needed only for overlays.
    from rpnet_mmseg.visualization import save_cam_overlays
    paths = save_cam_overlays(
        args.cam_dir, args.data_root, names, args.overlay_dir, class_names,
        palette, threshold, key=args.key, max_images=args.num_overlays,
        img_dir=args.img_dir, img_suffix=args.img_suffix,
        mask_dir=args.mask_dir, mask_suffix=args.mask_suffix)
    print_log(f'{len(paths)} overlays written to {args.overlay_dir}',
              logger=logger)


if __name__ == '__main__':
    exit_on_error(main)
