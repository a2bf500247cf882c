"""Build the CPU demo's data (``data/msrc_voc``) from the MSRC-v2 release.

MSRC-v2 (Microsoft Research Cambridge object recognition image database,
version 2) ships ``Images/NAME.bmp`` photographs and ``GroundTruth/
NAME_GT.bmp`` colour masks in its 24-label colour table (void + 23 labels).
Malisiewicz & Efros (BMVC 2007) re-annotated it more accurately
(``newsegmentations_mats/NAME_GT.mat``: a segment map ``newseg`` and the
MSRC label of each segment, ``newlabels``); pass ``--cleaned-masks`` to use
those instead of the release's masks (the demo data was built from them).

The output is the VOC layout that ``configs/_base_/datasets/
msrc_voc_image_level.py`` reads, 15 classes::

    OUT/
    ├── JPEGImages/NAME.jpg               (quality 95)
    ├── SegmentationClass/NAME.png        (palette PNG, VOC palette,
    │                                      0 background, 1..14, 255 void)
    ├── ImageSets/Segmentation/{train,val,train_dev,val_dev}.txt
    ├── cls_labels.npz                    (names [N], float32 labels [N, 14])
    └── labels.json                       (classes, palette, image_labels)

Label mapping: the stuff labels (building, grass, tree, sky, mountain,
water, road) become background, face and body become person, horse (three
images) becomes void, the other objects keep their names; images left
without any object class are dropped. The split files (image names only)
come from ``tools/dataset_converters/msrc_v2_splits/`` so that numbers stay
comparable with the demo's; masks are written for every image (the demo
evaluates on ``train_dev`` / ``val_dev``).

Every output file is written atomically (temporary name + rename), so an
interrupted run leaves no partial file; re-running rewrites everything.

Usage:
    # MSRC_ObjCategImageDatabase_v2.zip, extracted
    python tools/dataset_converters/msrc_v2.py \\
        data/MSRC_ObjCategImageDatabase_v2 -o data/msrc_voc \\
        [--cleaned-masks data/newsegmentations_mats] [--nproc 4]
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from rpnet_mmseg.fileio import (CLS_LABEL_FILE, atomic_write,  # noqa: E402
                                read_split, save_cls_labels, save_label_png,
                                save_text_atomic)
from rpnet_mmseg.fileio.label_format import voc_colormap  # noqa: E402

# MSRC-v2's label table: index = label id (the numbering of the release's
# documentation and of the cleaned-up masks' ``newlabels``), colour = RGB of
# that label in ``GroundTruth/*_GT.bmp``.
MSRC_LABELS: Tuple[Tuple[str, Tuple[int, int, int]], ...] = (
    ('void', (0, 0, 0)),
    ('building', (128, 0, 0)),
    ('grass', (0, 128, 0)),
    ('tree', (128, 128, 0)),
    ('cow', (0, 0, 128)),
    ('horse', (128, 0, 128)),
    ('sheep', (0, 128, 128)),
    ('sky', (128, 128, 128)),
    ('mountain', (64, 0, 0)),
    ('aeroplane', (192, 0, 0)),
    ('water', (64, 128, 0)),
    ('face', (192, 128, 0)),
    ('car', (64, 0, 128)),
    ('bicycle', (192, 0, 128)),
    ('flower', (64, 128, 128)),
    ('sign', (192, 128, 128)),
    ('bird', (0, 64, 0)),
    ('book', (128, 64, 0)),
    ('chair', (0, 192, 0)),
    ('road', (128, 64, 128)),
    ('cat', (0, 192, 128)),
    ('dog', (128, 192, 128)),
    ('body', (64, 64, 0)),
    ('boat', (192, 64, 0)),
)
# The demo's classes (index = id in the masks; vectors skip background).
CLASSES: Tuple[str, ...] = ('background', 'aeroplane', 'bicycle', 'bird',
                            'boat', 'book', 'car', 'cat', 'chair', 'cow',
                            'dog', 'flower', 'person', 'sheep', 'sign')
PALETTE: List[List[int]] = voc_colormap(len(CLASSES))
VOID_ID = 255
STUFF = ('building', 'grass', 'tree', 'sky', 'mountain', 'water', 'road')
MERGED = {'face': 'person', 'body': 'person'}
TO_VOID = ('void', 'horse')
# Files an image folder may hold besides the data (operating-system debris).
IGNORED_FILES = ('Thumbs.db', 'desktop.ini')
SPLITS = ('train', 'val', 'train_dev', 'val_dev')
DEFAULT_SPLIT_DIR = osp.join(osp.dirname(osp.abspath(__file__)),
                             'msrc_v2_splits')
JPEG_QUALITY = 95
# How many names an error message lists before it is cut short.
_MAX_NAMES = 20


def msrc_to_class_lut() -> np.ndarray:
    """Lookup table MSRC-v2 label id -> demo class id (255 = void).

    Returns:
        np.ndarray: uint8 array of length ``len(MSRC_LABELS)``.
    """
    lut = np.full(len(MSRC_LABELS), VOID_ID, dtype=np.uint8)
    for msrc_id, (name, _) in enumerate(MSRC_LABELS):
        if name in TO_VOID:
            continue
        if name in STUFF:
            lut[msrc_id] = 0
        else:
            lut[msrc_id] = CLASSES.index(MERGED.get(name, name))
    return lut


LUT = msrc_to_class_lut()


def _shorten(names: Sequence[str]) -> str:
    """``names`` for a message, cut after ``_MAX_NAMES``."""
    names = list(names)
    more = f' ... and {len(names) - _MAX_NAMES} more' \
        if len(names) > _MAX_NAMES else ''
    return ', '.join(names[:_MAX_NAMES]) + more


def list_release(root: str, cleaned_masks: Optional[str] = None) -> List[str]:
    """Image names of the release, after checking that the files pair up.

    Args:
        root (str): The extracted release (holding ``Images/`` and, unless
            ``cleaned_masks`` is given, ``GroundTruth/``).
        cleaned_masks (str, optional): Folder of ``NAME_GT.mat``.

    Returns:
        list[str]: Sorted image names.

    Raises:
        FileNotFoundError: If a folder or an image's mask is missing.
        ValueError: If a folder holds a file that is not part of the layout
            (the message lists them all).
    """
    img_dir = osp.join(root, 'Images')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(
            f"'{img_dir}' is not a folder: pass the extracted MSRC-v2 "
            "release (the folder holding 'Images/' and 'GroundTruth/')")
    if cleaned_masks is None:
        mask_dir, mask_suffix = osp.join(root, 'GroundTruth'), '_GT.bmp'
    else:
        mask_dir, mask_suffix = cleaned_masks, '_GT.mat'
    if not osp.isdir(mask_dir):
        raise FileNotFoundError(f"mask folder '{mask_dir}' does not exist")

    problems = []

    def scan(folder: str, suffix: str, what: str) -> List[str]:
        """NAME of each NAME{suffix} file; other files go to ``problems``."""
        names, unexpected = [], []
        for entry in sorted(os.listdir(folder)):
            if entry.startswith('.') or entry in IGNORED_FILES:
                continue
            if entry.endswith(suffix) and len(entry) > len(suffix) and \
                    osp.isfile(osp.join(folder, entry)):
                names.append(entry[:-len(suffix)])
            else:
                unexpected.append(entry)
        if unexpected:
            problems.append(f"'{folder}' holds files that are not "
                            f'NAME{suffix} {what}: {_shorten(unexpected)}')
        return names

    images = scan(img_dir, '.bmp', 'images')
    masks = scan(mask_dir, mask_suffix, 'masks')
    orphans = sorted(set(masks) - set(images))
    if orphans:
        problems.append(
            f"'{mask_dir}' holds masks of images that '{img_dir}' lacks: "
            f'{_shorten(n + mask_suffix for n in orphans)}')
    if problems:
        raise ValueError('unexpected files in the MSRC-v2 release:\n  ' +
                         '\n  '.join(problems))
    missing = sorted(set(images) - set(masks))
    if missing:
        raise FileNotFoundError(
            f"'{mask_dir}' has no mask for {len(missing)} image(s): "
            f'{_shorten(n + mask_suffix for n in missing)}')
    if not images:
        raise FileNotFoundError(f"'{img_dir}' holds no NAME.bmp image")
    return images


def decode_colour_mask(rgb: np.ndarray, path: str) -> np.ndarray:
    """MSRC-v2 colour mask -> MSRC label ids.

    Args:
        rgb (np.ndarray): [H, W, 3] uint8 colours.
        path (str): The mask file, for error messages.

    Returns:
        np.ndarray: [H, W] uint8 MSRC label ids.

    Raises:
        ValueError: If a colour is not in MSRC-v2's table (the message gives
            each unknown colour, its pixel count and one pixel).
    """
    code = (rgb[..., 0].astype(np.int32) << 16) | \
        (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2].astype(np.int32)
    colours, inverse = np.unique(code, return_inverse=True)
    table = {(r << 16) | (g << 8) | b: i
             for i, (_, (r, g, b)) in enumerate(MSRC_LABELS)}
    ids = np.empty(len(colours), dtype=np.uint8)
    unknown = []
    for k, colour in enumerate(colours.tolist()):
        if colour in table:
            ids[k] = table[colour]
            continue
        ys, xs = np.nonzero(code == colour)
        unknown.append(f'RGB ({colour >> 16}, {(colour >> 8) & 255}, '
                       f'{colour & 255}) on {ys.size} pixel(s), e.g. '
                       f'row {ys[0]} column {xs[0]}')
    if unknown:
        raise ValueError(
            f"'{path}': colour(s) not in MSRC-v2's label table: " +
            '; '.join(unknown))
    return ids[inverse.reshape(code.shape)]


def read_gt_bmp(path: str) -> np.ndarray:
    """MSRC label ids of a release mask ``GroundTruth/NAME_GT.bmp``."""
    with Image.open(path) as img:
        rgb = np.asarray(img.convert('RGB'))
    return decode_colour_mask(rgb, path)


def read_cleaned_mat(path: str) -> np.ndarray:
    """MSRC label ids of a cleaned-up mask (Malisiewicz & Efros).

    The file holds ``newseg`` ([H, W] segment ids, 1-based) and
    ``newlabels`` (the MSRC label id of segment k at position k - 1);
    pixels of segment 0 or of a segment without a label are void.

    Args:
        path (str): ``NAME_GT.mat``.

    Returns:
        np.ndarray: [H, W] uint8 MSRC label ids.

    Raises:
        ValueError: If the file lacks a variable or holds a label id
            outside MSRC-v2's table.
    """
    from scipy.io import loadmat
    try:
        mat = loadmat(path)
    except Exception as e:  # not a MAT-file / truncated
        raise ValueError(f"'{path}': cannot read the MAT-file ({e})") from e
    for key in ('newseg', 'newlabels'):
        if key not in mat:
            found = sorted(k for k in mat if not k.startswith('__'))
            raise ValueError(f"'{path}': no variable '{key}' (has {found}); "
                             'expected a cleaned-up MSRC-v2 mask')
    seg = np.asarray(mat['newseg'])
    labels = np.asarray(mat['newlabels']).ravel().astype(np.int64)
    if seg.ndim != 2:
        raise ValueError(f"'{path}': 'newseg' has shape {seg.shape}, "
                         'expected [H, W]')
    bad = labels[(labels < 0) | (labels >= len(MSRC_LABELS))]
    if bad.size:
        raise ValueError(f"'{path}': label id(s) {sorted(set(bad.tolist()))}"
                         f' outside 0..{len(MSRC_LABELS) - 1}')
    seg = seg.astype(np.int64)
    if seg.size and seg.min() < 0:
        raise ValueError(f"'{path}': negative segment ids in 'newseg'")
    lut = np.zeros(max(int(seg.max(initial=0)), len(labels)) + 1,
                   dtype=np.uint8)
    lut[1:len(labels) + 1] = labels
    return lut[seg]


def convert_image(name: str, root: str, out_dir: str,
                  cleaned_masks: Optional[str]) -> Tuple[str, object]:
    """Convert one image and its mask; write nothing for a dropped image.

    Args:
        name (str): Image name.
        root (str): The release folder.
        out_dir (str): The output folder.
        cleaned_masks (str, optional): Folder of cleaned-up masks.

    Returns:
        tuple: ``(name, None)`` for a dropped image, else ``(name,
        (label, pixel_counts))``: the float32 multi-hot vector over the 14
        foreground classes and the pixel count of each id (0..14, void).
    """
    img_path = osp.join(root, 'Images', name + '.bmp')
    try:
        with Image.open(img_path) as img:
            rgb = img.convert('RGB')
            rgb.load()
    except Exception as e:
        raise ValueError(f"'{img_path}': cannot read the image ({e})") from e
    if cleaned_masks is None:
        mask_path = osp.join(root, 'GroundTruth', name + '_GT.bmp')
        msrc_ids = read_gt_bmp(mask_path)
    else:
        mask_path = osp.join(cleaned_masks, name + '_GT.mat')
        msrc_ids = read_cleaned_mat(mask_path)
    if msrc_ids.shape != (rgb.height, rgb.width):
        raise ValueError(f"'{mask_path}' is {msrc_ids.shape[1]}x"
                         f"{msrc_ids.shape[0]} but '{img_path}' is "
                         f'{rgb.width}x{rgb.height} (width x height)')
    mask = LUT[msrc_ids]
    counts = np.bincount(mask.ravel(), minlength=256)
    present = np.flatnonzero(counts[1:len(CLASSES)])
    if present.size == 0:
        return name, None
    label = np.zeros(len(CLASSES) - 1, dtype=np.float32)
    label[present] = 1
    atomic_write(
        osp.join(out_dir, 'JPEGImages', name + '.jpg'),
        lambda f: rgb.save(f, format='JPEG', quality=JPEG_QUALITY))
    save_label_png(
        osp.join(out_dir, 'SegmentationClass', name + '.png'), mask)
    pixel_counts = np.append(counts[:len(CLASSES)], counts[VOID_ID])
    return name, (label, pixel_counts)


def read_splits(split_dir: str) -> Dict[str, List[str]]:
    """Name lists of the demo's splits (``SPLIT.txt`` in ``split_dir``)."""
    return {
        split: read_split(osp.join(split_dir, split + '.txt'))
        for split in SPLITS
    }


def fit_splits(splits: Dict[str, List[str]], release: Sequence[str],
               kept: Sequence[str]) -> Dict[str, List[str]]:
    """Keep the converted names of each split; complain about the rest.

    Raises:
        ValueError: If a split lists a name the release does not have
            (another release or a wrong folder).
    """
    release, kept = set(release), set(kept)
    listed = set()
    fitted = {}
    for split, names in splits.items():
        unknown = [n for n in names if n not in release]
        if unknown:
            raise ValueError(
                f"split '{split}' lists {len(unknown)} image(s) that the "
                f'release does not have: {_shorten(unknown)}; is this the '
                'MSRC-v2 release?')
        dropped = [n for n in names if n not in kept]
        if dropped:
            print_log(
                f"split '{split}': {len(dropped)} image(s) have no object "
                f'class with these masks and are left out: '
                f'{_shorten(dropped)}', logger='current',
                level=logging.WARNING)
        fitted[split] = [n for n in names if n in kept]
        listed.update(fitted[split])
    unlisted = sorted(kept - listed)
    if unlisted:
        print_log(
            f'{len(unlisted)} converted image(s) are in no split file: '
            f'{_shorten(unlisted)}', logger='current', level=logging.WARNING)
    return fitted


def labels_json(labels: Dict[str, np.ndarray]) -> str:
    """``labels.json``: class names, palette and each image's classes."""
    image_labels = {
        name: [CLASSES[i + 1] for i in np.flatnonzero(vec)]
        for name, vec in labels.items()
    }
    return json.dumps(
        dict(
            classes=list(CLASSES),
            palette=[list(c) for c in PALETTE],
            image_labels=image_labels),
        indent=0)


def convert(root: str,
            out_dir: str,
            cleaned_masks: Optional[str] = None,
            split_dir: str = DEFAULT_SPLIT_DIR,
            nproc: int = 1) -> Dict[str, np.ndarray]:
    """Convert the release; see the module docstring.

    Args:
        root (str): The extracted MSRC-v2 release.
        out_dir (str): Output folder (created if needed).
        cleaned_masks (str, optional): Folder of the cleaned-up masks
            ``NAME_GT.mat``. Defaults to None (the release's masks).
        split_dir (str): Folder of the split files.
        nproc (int): Worker processes. Defaults to 1.

    Returns:
        dict: ``{name: label vector}`` of the converted images.
    """
    names = list_release(root, cleaned_masks)
    splits = read_splits(split_dir)
    print(f'{len(names)} images in {root}; masks from '
          f"{cleaned_masks or osp.join(root, 'GroundTruth')}")
    func = partial(
        convert_image, root=root, out_dir=out_dir,
        cleaned_masks=cleaned_masks)
    if nproc > 1:
        results = track_parallel_progress(func, names, nproc)
    else:
        results = track_progress(func, names)
    results = sorted(results, key=lambda item: item[0])
    labels = {n: r[0] for n, r in results if r is not None}
    pixels = sum(r[1] for _, r in results if r is not None)
    dropped = [n for n, r in results if r is None]
    fitted = fit_splits(splits, names, list(labels))
    for split, split_names in fitted.items():
        save_text_atomic(
            osp.join(out_dir, 'ImageSets', 'Segmentation', split + '.txt'),
            ''.join(n + '\n' for n in split_names))
    save_cls_labels(osp.join(out_dir, CLS_LABEL_FILE), labels)
    save_text_atomic(osp.join(out_dir, 'labels.json'), labels_json(labels))
    summarize(labels, dropped, pixels, fitted)
    print(f'wrote {out_dir}')
    return labels


def summarize(labels: Dict[str, np.ndarray], dropped: Sequence[str],
              pixels: np.ndarray, splits: Dict[str, List[str]]) -> None:
    """Print what was converted: counts per class, split and pixel kind."""
    print(f'{len(labels)} images converted, {len(dropped)} dropped (no '
          f'object class): {_shorten(dropped)}')
    matrix = np.stack(list(labels.values())) > 0 if labels else np.zeros(
        (0, len(CLASSES) - 1), dtype=bool)
    print('images per class: ' + ', '.join(
        f'{c} {int(n)}' for c, n in zip(CLASSES[1:], matrix.sum(0))))
    print('split sizes: ' + ', '.join(f'{s} {len(n)}'
                                      for s, n in splits.items()))
    if isinstance(pixels, np.ndarray) and pixels.sum():
        share = pixels / pixels.sum() * 100
        print(f'pixels: background {share[0]:.1f}%, objects '
              f'{share[1:-1].sum():.1f}%, void {share[-1]:.1f}%')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert MSRC-v2 to the VOC layout of the CPU demo')
    parser.add_argument(
        'root', help='extracted MSRC-v2 release (holding Images/ and '
        'GroundTruth/)')
    parser.add_argument(
        '-o', '--out-dir', default='data/msrc_voc', help='output folder')
    parser.add_argument(
        '--cleaned-masks',
        help='folder of the cleaned-up masks of Malisiewicz & Efros '
        '(NAME_GT.mat, "newsegmentations_mats"); used instead of '
        'GroundTruth/ when given')
    parser.add_argument(
        '--split-dir',
        default=DEFAULT_SPLIT_DIR,
        help='folder of train.txt, val.txt, train_dev.txt, val_dev.txt')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the converter."""
    args = parse_args(argv)
    convert(args.root, args.out_dir, args.cleaned_masks, args.split_dir,
            args.nproc)


if __name__ == '__main__':
    main()
