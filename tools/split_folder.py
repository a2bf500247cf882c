"""The splits and classes of a folder of tagged photos, into a run folder.

The first stage of ``configs/pipelines/rpnet-irn-deeplab_folder.py``
(docs/en/data.md, "Your own data"). Reads the folder's tags, classes and
images (refusing unknown tags, names given twice, untagged images and rows
without an image, all named), then writes next to ``--out-json``:

- ``splits/train.txt`` and ``splits/val.txt``: the folder's
  ``splits/train.txt`` (and ``val.txt``, else every other tagged image)
  if it has them, else a seeded draw of ``--val-fraction`` of the tagged
  images (those with at least one tag) for ``val``;
- ``--out-json``: the classes (background first), the palette, the class
  counts (``num_classes`` with background, ``num_fg_classes`` without),
  the tag file's name, the split files with their sha1 and sizes, how
  many images of each split have a mask, and how many images
  ``unlabelled/`` holds.

Example::

    python tools/split_folder.py --data-root data/my_photos \\
        --out-json work_dirs/my_photos/data_split.json
"""
import argparse
import math
import os
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from rpnet_mmseg.datasets import folder_images  # noqa: E402
from rpnet_mmseg.fileio import (CLASSES_FILE, IMAGE_SUFFIXES,  # noqa: E402
                                file_sha1, find_tag_file, read_split,
                                read_tag_file, save_json_atomic,
                                save_text_atomic, tag_vectors, voc_colormap)
from rpnet_mmseg.utils import exit_on_error  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Splits and classes of a folder of tagged photos')
    parser.add_argument('--data-root', required=True, help='the folder')
    parser.add_argument('--out-json', required=True,
                        help='the report; splits/ is written beside it')
    parser.add_argument('--tag-file', help='tag file under --data-root '
                        '(default: labels.csv, else labels.json)')
    parser.add_argument('--val-fraction', type=float, default=0.1,
                        help='share of the tagged images drawn for val when '
                        'the folder has no splits/ (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of that draw (default: %(default)s)')
    return parser.parse_args(argv)


def draw_split(names: Sequence[str], val_fraction: float,
               seed: int) -> Dict[str, List[str]]:
    """A seeded train / val split of ``names`` (at least one of each when
    there are two names), each in the order of ``names``."""
    if not 0 < val_fraction < 1:
        raise ValueError(f'--val-fraction must be in (0, 1), got '
                         f'{val_fraction}')
    num_val = min(max(1, math.ceil(len(names) * val_fraction - 1e-9)),
                  len(names) - 1)
    val = set(np.random.default_rng(seed).permutation(len(names))[:num_val])
    return {
        'train': [n for i, n in enumerate(names) if i not in val],
        'val': [n for i, n in enumerate(names) if i in val]
    }


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Write the splits and the report; return the report."""
    args = parse_args(argv)
    root = args.data_root
    tag_path = osp.join(root, args.tag_file) if args.tag_file else \
        find_tag_file(root)
    table = read_tag_file(tag_path, osp.join(root, CLASSES_FILE))
    images = folder_images(osp.join(root, 'images'), IMAGE_SUFFIXES)
    tag_vectors(table)  # refuses unknown tags and names given twice
    untagged = [n for n in images if n not in table.tags]
    orphans = [n for n in table.tags if n not in images]
    if untagged or orphans:
        raise ValueError(
            f'{root}: {len(untagged)} image(s) without a row in {tag_path} '
            f'(e.g. {untagged[:3]}) and {len(orphans)} row(s) without an '
            f'image in images/ (e.g. {orphans[:3]}); '
            'tools/check_dataset.py lists them')
    tagged = [n for n in images if table.tags[n]]
    given = osp.join(root, 'splits', 'train.txt')
    if osp.isfile(given):
        train = read_split(given)
        val_file = osp.join(root, 'splits', 'val.txt')
        val = read_split(val_file) if osp.isfile(val_file) else [
            n for n in tagged if n not in set(train)]
        unknown = [n for n in train + val if n not in images]
        if unknown:
            raise ValueError(f'{osp.join(root, "splits")}: {unknown[:5]} '
                             'name no image of images/')
        splits, how = {'train': train, 'val': val}, 'the folder\'s splits/'
    else:
        splits = draw_split(tagged, args.val_fraction, args.seed)
        how = f'drawn: val {args.val_fraction} of the tagged images, seed ' \
            f'{args.seed}'
    out_dir = osp.join(osp.dirname(args.out_json) or '.', 'splits')
    os.makedirs(out_dir, exist_ok=True)
    classes = ['background'] + table.classes
    report: Dict[str, Any] = {
        'data_root': root, 'tag_file': osp.basename(tag_path),
        'split_rule': how, 'classes': classes,
        'palette': voc_colormap(len(classes)),
        # mmseg's count (background included) and the label vectors'
        'num_classes': len(classes), 'num_fg_classes': len(table.classes)
    }
    unlabelled = osp.join(root, 'unlabelled')
    report['num_unlabelled'] = len(folder_images(
        unlabelled, IMAGE_SUFFIXES)) if osp.isdir(unlabelled) else 0
    for split, names in splits.items():
        if not names:
            raise ValueError(f'{root}: the {split} split is empty ({how})')
        path = osp.join(out_dir, f'{split}.txt')
        save_text_atomic(path, ''.join(f'{n}\n' for n in names))
        masks = sum(osp.isfile(osp.join(root, 'masks', n + '.png'))
                    for n in names)
        report[split] = path
        report[f'{split}_sha1'] = file_sha1(path)
        report[f'num_{split}'] = len(names)
        report[f'num_{split}_masks'] = masks
    save_json_atomic(args.out_json, report)
    print(f'{root}: {len(table.classes)} classes {table.classes}, '
          f'{report["num_train"]} '
          f'train ({report["num_train_masks"]} with a mask), '
          f'{report["num_val"]} val ({report["num_val_masks"]} with a '
          f'mask), {report["num_unlabelled"]} unlabelled; splits: {how}')
    if not report['num_train_masks']:
        print('no train image has a mask: the CAM threshold is the default '
              'rule (tools/eval_cams.py --default-threshold), and the '
              'CAM and pseudo-label mIoU are not measured')
    return report


if __name__ == '__main__':
    exit_on_error(main)
