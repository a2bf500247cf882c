"""Lay a VOC-layout dataset out as a folder of tagged photos.

The other way round from "Your own data" (docs/en/data.md): a VOC-layout
tree (``JPEGImages``, ``SegmentationClass``, ``ImageSets/Segmentation``,
an image-level label file and ``labels.json``) becomes ``images/``,
``labels.csv``, ``classes.txt``, ``masks/`` and ``splits/``, so that the
folder pipeline can be compared with the VOC one on the same images:

- images copied under new names (``photo NNN``, a seeded shuffle);
- ``classes.txt`` in another order (``--class-order reversed``), the
  masks' class ids renumbered to it;
- masks only for the images of ``--mask-splits``;
- ``splits/train.txt`` and ``val.txt`` from ``--train-split`` and
  ``--val-split``.

Example (the demo's MSRC-VOC, masks of train_dev and val_dev only)::

    python tools/dataset_converters/voc_to_folder.py \\
        --data-root data/msrc_voc --out-dir data/msrc_folder
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Dict, Optional, Sequence

import numpy as np

sys.path.insert(
    0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from rpnet_mmseg.fileio import (find_cls_label_file,  # noqa: E402
                                load_cls_labels, read_mask, read_split,
                                save_label_png, save_text_atomic)
from rpnet_mmseg.utils import exit_on_error  # noqa: E402

SPLITS = 'ImageSets/Segmentation'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='A VOC-layout dataset as a folder of tagged photos')
    parser.add_argument('--data-root', required=True, help='VOC-layout root')
    parser.add_argument('--out-dir', required=True, help='the new folder')
    parser.add_argument('--train-split', default=f'{SPLITS}/train.txt')
    parser.add_argument('--val-split', default=f'{SPLITS}/val.txt')
    parser.add_argument(
        '--mask-splits', nargs='*',
        default=[f'{SPLITS}/train_dev.txt', f'{SPLITS}/val_dev.txt'],
        help='the images whose masks are copied')
    parser.add_argument('--class-order', choices=['same', 'reversed'],
                        default='reversed')
    parser.add_argument('--cls-label-file', default='cls_labels.npz')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the new names')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """Write the folder; return the new name of every image."""
    import json
    args = parse_args(argv)
    root = args.data_root
    with open(osp.join(root, 'labels.json')) as f:
        classes = json.load(f)['classes'][1:]  # foreground, vector order
    order = classes[::-1] if args.class_order == 'reversed' else classes
    labels = load_cls_labels(
        find_cls_label_file(osp.join(root, args.cls_label_file)))
    train = read_split(osp.join(root, args.train_split))
    val = read_split(osp.join(root, args.val_split))
    with_mask = {n for s in args.mask_splits
                 for n in read_split(osp.join(root, s))}
    names = train + val
    perm = np.random.default_rng(args.seed).permutation(len(names))
    new = {n: f'photo {int(i):03d}' for n, i in zip(names, perm)}
    # old class id (1-based, background 0) -> new id; 255 stays
    lut = np.arange(256, dtype=np.uint8)
    for k, name in enumerate(classes, start=1):
        lut[k] = 1 + order.index(name)
    out = args.out_dir
    for sub in ('images', 'masks', 'splits'):
        os.makedirs(osp.join(out, sub), exist_ok=True)
    rows = ['image,labels']
    for name in names:
        shutil.copyfile(osp.join(root, 'JPEGImages', name + '.jpg'),
                        osp.join(out, 'images', new[name] + '.jpg'))
        tags = [classes[i] for i in np.flatnonzero(labels[name] > 0)]
        rows.append(f'{new[name]}.jpg,{";".join(tags)}')
        if name in with_mask:
            mask = read_mask(osp.join(root, 'SegmentationClass',
                                      name + '.png'))
            save_label_png(osp.join(out, 'masks', new[name] + '.png'),
                           lut[mask])
    save_text_atomic(osp.join(out, 'labels.csv'), '\n'.join(rows) + '\n')
    save_text_atomic(osp.join(out, 'classes.txt'), '\n'.join(order) + '\n')
    for split, split_names in (('train', train), ('val', val)):
        save_text_atomic(osp.join(out, 'splits', f'{split}.txt'),
                         ''.join(f'{new[n]}\n' for n in split_names))
    print(f'{len(names)} images, {len(with_mask)} masks, classes '
          f'{args.class_order} -> {out}')
    return new


if __name__ == '__main__':
    exit_on_error(main)
