"""Write ``cls_labels.npz``, the image-level labels of a VOC-layout dataset.

The output holds ``names`` [N] and ``labels`` float32 [N, C], the
multi-hot vector of each image over the foreground classes (background
excluded), without pickle (:mod:`rpnet_mmseg.fileio.cls_label_format`), as
``ImageLevelSegDataset`` reads it. The labels come from either pixel masks
or VOC XML annotations.

Examples:
    From palette / index PNG masks (value ``k`` is foreground class ``k``;
    0 is background and 255 is void)::

        python tools/dataset_converters/make_cls_labels.py \\
            --masks data/mine/SegmentationClass \\
            --labels-json data/mine/labels.json --out data/mine/cls_labels.npz

    From VOC XML annotations (``object/name`` must be a listed class)::

        python tools/dataset_converters/make_cls_labels.py \\
            --xml data/VOC2012/Annotations --classes aeroplane,bicycle,... \\
            --split data/VOC2012/ImageSets/Segmentation/train_aug.txt \\
            --out data/VOC2012/cls_labels.npz
"""
import argparse
import json
import os.path as osp
import sys
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.fileio import exists, get, list_dir_or_file
from mmengine.utils import ProgressBar

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from rpnet_mmseg.fileio import (read_mask, read_split,  # noqa: E402
                                save_cls_labels)

VOID_VALUE = 255


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Write cls_labels.npz (image-level multi-hot labels) '
        'from masks or VOC XML annotations.')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--masks', help='folder of palette/index PNG masks')
    source.add_argument('--xml', help='folder of VOC XML annotations')
    names = parser.add_mutually_exclusive_group(required=True)
    names.add_argument(
        '--classes', help='comma-separated foreground class names, in order')
    names.add_argument(
        '--labels-json',
        help="JSON file whose 'classes' list starts with the background")
    parser.add_argument(
        '--split', help='only the image names listed in this file')
    parser.add_argument(
        '--mask-suffix', default='.png', help='mask file suffix')
    parser.add_argument('--out', required=True, help='output .npz path')
    return parser.parse_args(argv)


def load_class_names(classes: Optional[str],
                     labels_json: Optional[str]) -> List[str]:
    """Foreground class names from ``--classes`` or ``--labels-json``."""
    if classes is not None:
        names = [name.strip() for name in classes.split(',') if name.strip()]
    else:
        with open(labels_json) as f:
            meta = json.load(f)
        if 'classes' not in meta:
            raise KeyError(f"'{labels_json}' has no 'classes' list")
        names = list(meta['classes'])[1:]
    if not names:
        raise ValueError('the class list has no foreground class')
    if len(set(names)) != len(names):
        raise ValueError(f'duplicate class names in {names}')
    return names


def list_names(folder: str, suffix: str, split: Optional[str]) -> List[str]:
    """Image names of ``split``, or of every ``*suffix`` file in ``folder``."""
    if split is not None:
        return read_split(split)
    files = list_dir_or_file(folder, list_dir=False, suffix=suffix)
    return sorted(name[:-len(suffix)] for name in files)


def _annotation_path(folder: str, name: str, suffix: str) -> str:
    """Path of one annotation file; it must exist."""
    path = osp.join(folder, name + suffix)
    if not exists(path):
        raise FileNotFoundError(f"annotation '{path}' of image '{name}' "
                                'does not exist')
    return path


def label_from_mask(path: str, num_classes: int) -> np.ndarray:
    """Multi-hot label of one palette/index mask.

    Args:
        path (str): Mask file; pixel value ``k`` in ``1..num_classes`` is
            foreground class ``k - 1``, 0 is background, 255 is void.
        num_classes (int): Number of foreground classes.

    Returns:
        np.ndarray: float32 vector of length ``num_classes``.
    """
    mask = read_mask(path)  # refuses RGB masks, naming the file
    values = np.unique(mask)
    values = values[values != VOID_VALUE]
    bad = values[(values < 0) | (values > num_classes)]
    if bad.size:
        raise ValueError(
            f"mask '{path}' has values {bad.tolist()} outside 0..{num_classes}"
            f' (and {VOID_VALUE} = void) for {num_classes} foreground classes')
    label = np.zeros(num_classes, dtype=np.float32)
    label[values[values > 0].astype(np.int64) - 1] = 1
    return label


def label_from_xml(path: str, classes: Sequence[str]) -> np.ndarray:
    """Multi-hot label of one VOC XML annotation (all its objects).

    Args:
        path (str): XML file with ``object/name`` elements.
        classes (Sequence[str]): Foreground class names.

    Returns:
        np.ndarray: float32 vector of length ``len(classes)``.
    """
    root = ET.fromstring(get(path))
    label = np.zeros(len(classes), dtype=np.float32)
    for obj in root.iter('object'):
        name = (obj.findtext('name') or '').strip()
        if name not in classes:
            raise ValueError(f"'{path}': object class '{name}' is not in the "
                             f'class list {list(classes)}')
        label[classes.index(name)] = 1
    return label


def make_labels(folder: str, names: Sequence[str], classes: Sequence[str],
                from_masks: bool, suffix: str) -> Dict[str, np.ndarray]:
    """Labels of all ``names`` from their masks or XML files."""
    labels = {}
    progress = ProgressBar(len(names))
    for name in names:
        path = _annotation_path(folder, name, suffix)
        if from_masks:
            labels[name] = label_from_mask(path, len(classes))
        else:
            labels[name] = label_from_xml(path, list(classes))
        progress.update()
    print()
    return labels


def save_atomic(labels: Dict[str, np.ndarray], out: str) -> None:
    """Write ``labels`` to ``out`` atomically (temporary file + rename)."""
    save_cls_labels(out, labels)


def summarize(labels: Dict[str, np.ndarray], classes: Sequence[str]) -> None:
    """Print the image count and the number of images per class."""
    matrix = (np.stack(list(labels.values())) if labels else np.zeros(
        (0, len(classes)))) > 0
    print(f'{len(labels)} images, {int((~matrix.any(1)).sum())} without '
          'any foreground class')
    for name, count in zip(classes, matrix.sum(0)):
        print(f'  {name}: {int(count)}')


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the converter."""
    args = parse_args(argv)
    classes = load_class_names(args.classes, args.labels_json)
    from_masks = args.masks is not None
    folder = args.masks if from_masks else args.xml
    suffix = args.mask_suffix if from_masks else '.xml'
    names = list_names(folder, suffix, args.split)
    labels = make_labels(folder, names, classes, from_masks, suffix)
    save_atomic(labels, args.out)
    summarize(labels, classes)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
