"""Round trip: MSRC-v2-format tree rebuilt from msrc_voc -> converter -> same.

Checks ``tools/dataset_converters/msrc_v2.py`` without the MSRC-v2 release:
from an existing ``msrc_voc`` folder (default ``../shared/data/msrc_voc``,
read only) it rebuilds a tree in the release's format under a temporary
folder, runs the converter on it and compares the result with the source.

The rebuilt tree:

- ``Images/NAME.bmp``: the source JPEGs decoded to 24-bit BMPs.
- ``GroundTruth/NAME_GT.bmp``: colour masks in MSRC-v2's label table.
  Where the source has a mask, background pixels get stuff labels (sky,
  grass, building, road, tree, water, mountain: two per image, top and
  bottom), person pixels become face (top 30% of the person's rows) and
  body, void stays void except that some images mark half of it as horse
  (also void after conversion). Where the source has no mask, one box per
  class of ``labels.json`` is drawn on stuff.
- ``newsegmentations_mats/NAME_GT.mat``: the same masks in the format of
  the cleaned-up masks of Malisiewicz & Efros (``newseg`` + ``newlabels``).
- Three extra images that the converter must drop: stuff only, horse on
  grass, all void.

The converter runs twice: on ``GroundTruth/``, then on the MAT-files with
``GroundTruth/`` moved away. Each output must reproduce the source's image
names, the label vectors (``cls_labels.npz``, or the source's IRN-format
``cls_labels.npy``: names in order, same vectors), ``labels.json``
(byte for byte), split files and masks (pixel for pixel, palette too); the
JPEGs are re-encoded, so their difference is reported.

Usage:
    python tools/dataset_converters/msrc_v2_roundtrip_check.py \\
        [--src ../shared/data/msrc_voc] [--work-dir /tmp/msrc_roundtrip]
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import time
import zlib
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import msrc_v2  # noqa: E402
from rpnet_mmseg.fileio import CLS_LABEL_FILE, load_cls_labels  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MSRC_ID = {name: i for i, (name, _) in enumerate(msrc_v2.MSRC_LABELS)}
MSRC_RGB = np.array([rgb for _, rgb in msrc_v2.MSRC_LABELS], dtype=np.uint8)
STUFF_PAIRS = (('sky', 'grass'), ('building', 'road'), ('tree', 'water'),
               ('mountain', 'grass'), ('sky', 'road'), ('tree', 'grass'),
               ('building', 'water'))
# Images the converter must drop: (name, what the mask holds).
DROPPED = ('2_1_s', '2_2_s', '2_3_s')


def _hash(name: str) -> int:
    return zlib.crc32(name.encode())


def stuff_background(name: str, height: int, width: int) -> np.ndarray:
    """MSRC ids of two stuff labels, top 40% and the rest."""
    top, bottom = STUFF_PAIRS[_hash(name) % len(STUFF_PAIRS)]
    ids = np.full((height, width), MSRC_ID[bottom], dtype=np.uint8)
    ids[:int(height * 0.4)] = MSRC_ID[top]
    return ids


def paint_object(ids: np.ndarray, region: np.ndarray, cls_name: str) -> None:
    """Write the MSRC label(s) of demo class ``cls_name`` into ``region``."""
    if cls_name != 'person':
        ids[region] = MSRC_ID[cls_name]
        return
    rows = np.flatnonzero(region.any(1))
    split = rows.min() + 0.3 * (rows.max() - rows.min() + 1)
    face = region & (np.arange(ids.shape[0])[:, None] < split)
    ids[face] = MSRC_ID['face']
    ids[region & ~face] = MSRC_ID['body']


def msrc_from_mask(name: str, mask: np.ndarray) -> np.ndarray:
    """MSRC label ids whose conversion gives back ``mask``."""
    height, width = mask.shape
    ids = np.zeros((height, width), dtype=np.uint8)  # void
    background = mask == 0
    ids[background] = stuff_background(name, height, width)[background]
    for cls_id in np.unique(mask):
        if 0 < cls_id < len(msrc_v2.CLASSES):
            paint_object(ids, mask == cls_id, msrc_v2.CLASSES[cls_id])
    if _hash(name) % 4 == 0:
        half = np.zeros_like(background)
        half[:, :width // 2] = True
        ids[(mask == msrc_v2.VOID_ID) & half] = MSRC_ID['horse']
    return ids


def msrc_from_labels(name: str, class_names: Sequence[str], height: int,
                     width: int) -> np.ndarray:
    """MSRC label ids: stuff, one box per class, a void top row."""
    ids = stuff_background(name, height, width)
    step = width // (len(class_names) + 1)
    for i, cls_name in enumerate(class_names):
        region = np.zeros((height, width), dtype=bool)
        region[height // 4:height * 3 // 4,
               (i + 1) * step - step // 3:(i + 1) * step + step // 3] = True
        paint_object(ids, region, cls_name)
    ids[0] = MSRC_ID['void']
    return ids


def write_release_mask(tree: str, name: str, ids: np.ndarray) -> None:
    """Write one mask as GT BMP and as cleaned-up MAT-file."""
    from scipy.io import savemat
    Image.fromarray(MSRC_RGB[ids]).save(
        osp.join(tree, 'GroundTruth', name + '_GT.bmp'))
    labels = [int(i) for i in np.unique(ids) if i != 0]
    seg = np.full(ids.shape, len(labels) + 1, dtype=np.uint8)  # void
    for k, msrc_id in enumerate(labels):
        seg[ids == msrc_id] = k + 1
    savemat(
        osp.join(tree, 'newsegmentations_mats', name + '_GT.mat'),
        dict(newseg=seg, newlabels=np.array([labels], dtype=np.uint8)))


def build_tree(src: str, tree: str) -> List[str]:
    """Rebuild a release-format tree from ``src``; return the source names."""
    for sub in ('Images', 'GroundTruth', 'newsegmentations_mats'):
        os.makedirs(osp.join(tree, sub), exist_ok=True)
    with open(osp.join(src, 'labels.json')) as f:
        image_labels = json.load(f)['image_labels']
    names = sorted(n[:-4] for n in os.listdir(osp.join(src, 'JPEGImages'))
                   if n.endswith('.jpg'))
    for name in names:
        with Image.open(osp.join(src, 'JPEGImages', name + '.jpg')) as img:
            rgb = img.convert('RGB')
        rgb.save(osp.join(tree, 'Images', name + '.bmp'))
        mask_path = osp.join(src, 'SegmentationClass', name + '.png')
        if osp.exists(mask_path):
            ids = msrc_from_mask(name, np.array(Image.open(mask_path)))
        else:
            ids = msrc_from_labels(name, image_labels[name], rgb.height,
                                   rgb.width)
        write_release_mask(tree, name, ids)
    rng = np.random.default_rng(0)
    for name in DROPPED:
        pixels = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(osp.join(tree, 'Images', name + '.bmp'))
        ids = stuff_background(name, 40, 60)
        if name == '2_2_s':
            ids[10:30, 10:40] = MSRC_ID['horse']
        elif name == '2_3_s':
            ids[:] = MSRC_ID['void']
        write_release_mask(tree, name, ids)
    return names


def compare(src: str, out: str, names: Sequence[str]) -> Dict[str, object]:
    """Compare a converter output with the source; return what differs."""
    report: Dict[str, object] = {}
    got = sorted(n[:-4] for n in os.listdir(osp.join(out, 'JPEGImages')))
    report['names'] = (got == list(names), f'{len(got)} converted, '
                       f'{len(names)} in source')
    report['dropped'] = (not set(DROPPED) & set(got),
                         f'{sorted(set(DROPPED) & set(got))} not dropped')
    want = load_cls_labels(osp.join(src, CLS_LABEL_FILE))
    have = load_cls_labels(osp.join(out, CLS_LABEL_FILE))
    same_keys = list(want) == list(have)
    bad = [n for n in want
           if n not in have or not np.array_equal(want[n], have[n])]
    report[CLS_LABEL_FILE] = (same_keys and not bad,
                                f'{len(have)} vectors, key order '
                                f"{'same' if same_keys else 'differs'}, "
                                f'{len(bad)} differ {bad[:5]}')
    with open(osp.join(src, 'labels.json'), 'rb') as f:
        want_json = f.read()
    with open(osp.join(out, 'labels.json'), 'rb') as f:
        have_json = f.read()
    same_json = want_json == have_json
    report['labels.json'] = (same_json, f'{len(have_json)} bytes, ' +
                             ('identical' if same_json else 'differs'))
    split_dir = osp.join('ImageSets', 'Segmentation')
    bad_splits = []
    for split in msrc_v2.SPLITS:
        with open(osp.join(src, split_dir, split + '.txt'), 'rb') as f:
            want_split = f.read()
        with open(osp.join(out, split_dir, split + '.txt'), 'rb') as f:
            if f.read() != want_split:
                bad_splits.append(split)
    report['splits'] = (not bad_splits, f'differ: {bad_splits}')
    mask_names = sorted(
        n[:-4] for n in os.listdir(osp.join(src, 'SegmentationClass')))
    bad_masks = []
    for name in mask_names:
        want_img = Image.open(
            osp.join(src, 'SegmentationClass', name + '.png'))
        have_img = Image.open(
            osp.join(out, 'SegmentationClass', name + '.png'))
        if have_img.mode != 'P' or \
                have_img.getpalette() != want_img.getpalette() or \
                not np.array_equal(np.array(want_img), np.array(have_img)):
            bad_masks.append(name)
    report['masks'] = (not bad_masks, f'{len(mask_names)} source masks, '
                       f'{len(bad_masks)} differ {bad_masks[:5]}')
    # The other masks (the source holds them back) must fit the labels.
    unfit = []
    for name in got:
        if name in mask_names:
            continue
        ids = np.unique(np.array(
            Image.open(osp.join(out, 'SegmentationClass', name + '.png'))))
        present = ids[(ids > 0) & (ids < len(msrc_v2.CLASSES))] - 1
        if not np.array_equal(np.flatnonzero(have[name]), present):
            unfit.append(name)
    report['other masks fit labels'] = (not unfit, f'{len(unfit)} do not')
    diffs, sizes_ok = [], True
    for name in names:
        a = np.asarray(Image.open(osp.join(src, 'JPEGImages', name + '.jpg')),
                       dtype=np.int16)
        b = np.asarray(Image.open(osp.join(out, 'JPEGImages', name + '.jpg')),
                       dtype=np.int16)
        if a.shape != b.shape:
            sizes_ok = False
            continue
        diffs.append(np.abs(a - b).mean())
    report['jpeg sizes'] = (sizes_ok, 'some image sizes differ')
    report['_jpeg'] = (f'mean |source - converted| per pixel: '
                       f'{np.mean(diffs):.2f} (max over images '
                       f'{np.max(diffs):.2f}) grey levels (re-encoded at '
                       f'quality {msrc_v2.JPEG_QUALITY})')
    return report


def print_report(title: str, report: Dict[str, object]) -> bool:
    """Print one run's comparison; return whether it passed."""
    print(f'--- {title}')
    passed = True
    for key, value in report.items():
        if key.startswith('_'):
            print(f'  info: {value}')
            continue
        ok, detail = value
        passed &= ok
        print(f"  {'OK  ' if ok else 'FAIL'} {key}" +
              ('' if ok else f': {detail}'))
    return passed


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--src',
        default=osp.join(REPO, '..', 'shared', 'data', 'msrc_voc'),
        help='an msrc_voc folder (read only)')
    parser.add_argument(
        '--work-dir', help='where the tree and outputs go (default: a new '
        'temporary folder, removed afterwards)')
    parser.add_argument('--nproc', type=int, default=1)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the round trip; return 0 when every check passed."""
    args = parse_args(argv)
    src = osp.abspath(args.src)
    if not osp.isdir(src):
        print(f'source {src} does not exist; nothing to check')
        return 2
    work = args.work_dir or tempfile.mkdtemp(prefix='msrc_roundtrip_')
    try:
        start = time.time()
        tree = osp.join(work, 'MSRC_ObjCategImageDatabase_v2')
        names = build_tree(src, tree)
        print(f'rebuilt {len(names)} + {len(DROPPED)} images in MSRC-v2 '
              f'format in {time.time() - start:.1f} s')
        start = time.time()
        out_gt = osp.join(work, 'out_groundtruth')
        msrc_v2.convert(tree, out_gt, nproc=args.nproc)
        took_gt = time.time() - start
        shutil.move(osp.join(tree, 'GroundTruth'),
                    osp.join(work, 'GroundTruth_moved_away'))
        start = time.time()
        out_mat = osp.join(work, 'out_cleaned')
        msrc_v2.convert(
            tree, out_mat,
            cleaned_masks=osp.join(tree, 'newsegmentations_mats'),
            nproc=args.nproc)
        took_mat = time.time() - start
        passed = print_report(
            f'GroundTruth/*_GT.bmp -> {out_gt} ({took_gt:.1f} s)',
            compare(src, out_gt, names))
        passed &= print_report(
            f'--cleaned-masks *_GT.mat -> {out_mat} ({took_mat:.1f} s)',
            compare(src, out_mat, names))
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print('ROUND TRIP ' + ('PASSED' if passed else 'FAILED'))
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
