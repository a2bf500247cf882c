"""Convert MS COCO 2014 instance annotations to the WSSS layout.

Weakly supervised segmentation on COCO-14 (the RPNet paper's second
benchmark) trains on the image-level labels of ``train2014`` and evaluates
masks of ``val2014``. This tool writes, from
``annotations/instances_{split}.json`` (pycocotools):

.. code-block:: none

    OUT/
    ├── SegmentationClass/{split}/NAME.png   palette PNG, 0 background,
    │                                         1..80 classes, 255 ignore
    ├── ImageSets/Segmentation/{split}.txt   names with >= 1 labelled object
    ├── cls_labels.npz                        names [N], float32 labels [N, 80]
    └── labels.json                           classes, palette, COCO ids

The WSSS convention: COCO's 80 category ids (1..90 with gaps) are
remapped to 1..80 in increasing id order (0 is background), masks are
painted from the non-crowd instances (larger instances first, so a small
object on a large one stays visible), and an image's label vector holds the
categories of its non-crowd instances (0-based, length 80). Crowd regions
stay background unless ``--crowd-void`` marks them 255 (ignored), and
crowds add no class to the label vector unless ``--crowd-labels``. Images
with an empty label vector are listed nowhere (the image-level dataset
would skip them). ``NAME`` is the image file name without its extension
(``COCO_train2014_000000000009``); the images themselves stay in
``{split}/`` where COCO's archives put them.

Each file is written atomically; an existing ``NAME.png`` is kept (an
interrupted run resumes) unless ``--overwrite``. ``cls_labels.npz`` (the
format of :mod:`rpnet_mmseg.fileio.cls_label_format`, no pickle) keeps the
entries of splits not converted in this run, also those of an IRN-format
``cls_labels.npy`` found in its place.

Usage:
    python tools/dataset_converters/coco_wsss.py data/coco2014 \\
        [--splits train2014 val2014] [-o data/coco2014] [--nproc 8]
"""
import argparse
import json
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from rpnet_mmseg.fileio import (CLS_LABEL_FILE,  # noqa: E402
                                find_cls_label_file, label_path,
                                load_cls_labels, save_cls_labels,
                                save_label_png, save_text_atomic,
                                voc_colormap)

IGNORE_INDEX = 255
# The annotation set a worker reads: set before the workers fork, so each
# inherits it instead of receiving a pickled copy per task.
_COCO = None
_CAT_TO_CLASS: Dict[int, int] = {}


def load_coco(ann_file: str):
    """Load an instances json with pycocotools; check its categories.

    Args:
        ann_file (str): ``annotations/instances_{split}.json``.

    Returns:
        pycocotools.coco.COCO: The loaded annotations.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If an annotation names an unknown category, or two
            images share a file name.
    """
    from pycocotools.coco import COCO
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f"annotation file '{ann_file}' does not "
                                'exist (COCO 2014: annotations_trainval2014'
                                '.zip, annotations/instances_*.json)')
    coco = COCO(ann_file)
    unknown = sorted({a['category_id'] for a in coco.anns.values()} -
                     set(coco.cats))
    if unknown:
        raise ValueError(f"'{ann_file}': annotations use category ids "
                         f'{unknown} that its "categories" list lacks')
    names = [image_name(img) for img in coco.imgs.values()]
    if len(set(names)) != len(names):
        raise ValueError(f"'{ann_file}': several images share a file name")
    return coco


def image_name(img: dict) -> str:
    """``NAME`` of a COCO image record (file name without extension)."""
    return osp.splitext(osp.basename(img['file_name']))[0]


def category_map(coco) -> Tuple[Dict[int, int], List[str]]:
    """COCO category id -> class id 1..K, and the class names.

    Returns:
        tuple: ``({coco_id: class_id}, ['background', name_1, ...])``.
    """
    cat_ids = sorted(coco.cats)
    mapping = {cat_id: i + 1 for i, cat_id in enumerate(cat_ids)}
    classes = ['background'] + [coco.cats[c]['name'] for c in cat_ids]
    return mapping, classes


def label_vector(anns: List[dict], cat_to_class: Dict[int, int],
                 crowd_labels: bool = False) -> np.ndarray:
    """Multi-hot vector (0-based, length K) of an image's annotations.

    Args:
        anns (list[dict]): The image's annotations.
        cat_to_class (dict): COCO category id -> class id 1..K.
        crowd_labels (bool): Count the categories of crowd annotations too.
            Defaults to False (non-crowd instances only).

    Returns:
        np.ndarray: float32 [K].
    """
    vector = np.zeros(len(cat_to_class), dtype=np.float32)
    for ann in anns:
        if crowd_labels or not ann.get('iscrowd', 0):
            vector[cat_to_class[ann['category_id']] - 1] = 1
    return vector


def paint_image(coco, img_id: int, cat_to_class: Dict[int, int],
                crowd_void: bool = False) -> np.ndarray:
    """Label map of one image, painted from its non-crowd instances.

    Larger instances are painted first, so a smaller one on top of a larger
    one stays visible.

    Args:
        coco (pycocotools.coco.COCO): The annotations.
        img_id (int): COCO image id.
        cat_to_class (dict): COCO category id -> class id 1..K.
        crowd_void (bool): Mark crowd regions not covered by an instance
            255. Defaults to False (they stay background).

    Returns:
        np.ndarray: uint8 [H, W] label map.
    """
    img = coco.imgs[img_id]
    height, width = int(img['height']), int(img['width'])
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))
    label_map = np.zeros((height, width), dtype=np.uint8)
    instances = [a for a in anns if not a.get('iscrowd', 0)]
    for ann in sorted(instances, key=lambda a: -float(a.get('area', 0))):
        label_map[coco.annToMask(ann) > 0] = cat_to_class[ann['category_id']]
    if crowd_void:
        for ann in anns:
            if ann.get('iscrowd', 0):
                crowd = coco.annToMask(ann) > 0
                label_map[crowd & (label_map == 0)] = IGNORE_INDEX
    return label_map


def _convert_one(task: Tuple[int, str, bool, bool, bool]
                 ) -> Tuple[str, Optional[np.ndarray]]:
    """Write one image's label PNG (worker); return its name and vector."""
    img_id, out_path, crowd_void, crowd_labels, overwrite = task
    coco = _COCO
    name = image_name(coco.imgs[img_id])
    vector = label_vector(
        coco.loadAnns(coco.getAnnIds(imgIds=[img_id])), _CAT_TO_CLASS,
        crowd_labels)
    if not vector.any():
        return name, None
    if overwrite or not osp.exists(out_path):
        save_label_png(out_path,
                       paint_image(coco, img_id, _CAT_TO_CLASS, crowd_void))
    return name, vector


def convert_split(root: str,
                  split: str,
                  out_dir: str,
                  nproc: int = 1,
                  crowd_void: bool = False,
                  crowd_labels: bool = False,
                  overwrite: bool = False) -> Tuple[Dict[str, np.ndarray],
                                                    List[str], list]:
    """Convert one split; return its labels, its class names, COCO ids."""
    global _COCO, _CAT_TO_CLASS
    coco = load_coco(osp.join(root, 'annotations', f'instances_{split}.json'))
    _CAT_TO_CLASS, classes = category_map(coco)
    _COCO = coco
    seg_dir = osp.join(out_dir, 'SegmentationClass', split)
    tasks = [(img_id, label_path(seg_dir, image_name(coco.imgs[img_id])),
              crowd_void, crowd_labels, overwrite)
             for img_id in sorted(coco.imgs)]
    print(f'{split}: {len(tasks)} images')
    try:
        if nproc > 1:
            results = track_parallel_progress(_convert_one, tasks, nproc,
                                              chunksize=64)
        else:
            results = track_progress(_convert_one, tasks)
    finally:
        _COCO = None
    labels = {n: v for n, v in sorted(results, key=lambda r: r[0])
              if v is not None}
    save_text_atomic(
        osp.join(out_dir, 'ImageSets', 'Segmentation', split + '.txt'),
        ''.join(n + '\n' for n in labels))
    print(f'\n{split}: {len(labels)} images with a labelled object, '
          f'{len(tasks) - len(labels)} without (left out)')
    return labels, classes, sorted(coco.cats)


def merge_labels(path: str, new: Dict[str, np.ndarray]) -> Dict[str, Any]:
    """``new`` plus the entries of an existing label file at ``path``.

    An IRN-format ``cls_labels.npy`` next to a missing ``.npz`` counts as
    the existing file (read by :func:`load_cls_labels`, no code run).
    """
    merged = {}
    if osp.exists(find_cls_label_file(path)):
        old = load_cls_labels(path)
        merged.update({k: v for k, v in old.items() if k not in new})
    merged.update(new)
    return dict(sorted(merged.items()))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='COCO 2014 instances -> cls_labels.npz + label PNGs')
    parser.add_argument(
        'root', help='COCO folder holding annotations/instances_*.json')
    parser.add_argument(
        '--splits', nargs='+', default=['train2014', 'val2014'],
        help='annotation sets to convert')
    parser.add_argument(
        '-o', '--out-dir', help='output folder (default: root)')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    parser.add_argument(
        '--crowd-void', action='store_true',
        help='mark crowd regions 255 (ignored) instead of background')
    parser.add_argument(
        '--crowd-labels', action='store_true',
        help='also count the categories of crowd annotations in the label '
        'vectors (images with crowds only are then listed too)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='rewrite label PNGs that exist')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the converter."""
    args = parse_args(argv)
    out_dir = args.out_dir or args.root
    all_labels: Dict[str, np.ndarray] = {}
    classes, cat_ids = None, None
    for split in args.splits:
        labels, split_classes, split_cat_ids = convert_split(
            args.root, split, out_dir, args.nproc, args.crowd_void,
            args.crowd_labels, args.overwrite)
        if classes is not None and split_classes != classes:
            raise ValueError(f'{split} has other categories than '
                             f'{args.splits[0]}: {split_classes}')
        classes, cat_ids = split_classes, split_cat_ids
        all_labels.update(labels)
        counts = np.sum([v for v in labels.values()], axis=0) \
            if labels else np.zeros(len(classes) - 1)
        print(f'{split} images per class: ' + ', '.join(
            f'{c} {int(n)}' for c, n in zip(classes[1:], counts)))
    cls_file = osp.join(out_dir, CLS_LABEL_FILE)
    save_cls_labels(cls_file, merge_labels(cls_file, all_labels))
    save_text_atomic(
        osp.join(out_dir, 'labels.json'),
        json.dumps(
            dict(
                classes=classes,
                palette=voc_colormap(len(classes)),
                coco_category_ids=cat_ids),
            indent=0))
    print(f'wrote {out_dir}')


if __name__ == '__main__':
    main()
