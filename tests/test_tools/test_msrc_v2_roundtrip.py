"""Round trip of tools/dataset_converters/msrc_v2.py on the demo data.

Checks the converter without the MSRC-v2 release: from twelve images of the
demo's ``msrc_voc`` (read only; train and val, with and without masks) an
MSRC-v2-format tree is rebuilt under pytest's temporary folder, converted,
and the output compared with the source.

The rebuilt tree:

- ``Images/NAME.bmp``: the source JPEGs decoded to 24-bit BMPs.
- ``GroundTruth/NAME_GT.bmp``: colour masks in MSRC-v2's label table.
  Where the source has a mask, background pixels get stuff labels (two per
  image, top and bottom), person pixels become face (top 30% of the
  person's rows) and body, void stays void except that some images mark
  half of it as horse (also void after conversion). Where the source has no
  mask, one box per class of ``labels.json`` is drawn on stuff.
- ``newsegmentations_mats/NAME_GT.mat``: the same masks in the format of
  the cleaned-up masks of Malisiewicz & Efros (``newseg`` + ``newlabels``).
- Three extra images that the converter must drop: stuff only, horse on
  grass, all void.

The converter runs twice: on ``GroundTruth/``, then on the MAT-files with
``GroundTruth/`` moved away. Each output must reproduce, for the twelve
images, the source's image names, label vectors, ``labels.json`` (byte for
byte), split files and masks (pixel for pixel, palette too), and leave the
three extra images out; the JPEGs are re-encoded, so only their size and
a bound on their difference are checked.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil
import sys
import zlib
from typing import Dict, List, Sequence

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.fileio import load_cls_labels

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'msrc_v2.py')
SHIPPED_SPLITS = osp.join(REPO, 'tools', 'dataset_converters',
                          'msrc_v2_splits')
SPLITS = ('train', 'val', 'train_dev', 'val_dev')
SPLIT_DIR = osp.join('ImageSets', 'Segmentation')

# The source images converted, chosen to cover every way the tree is built:
# several classes in one image, person (face + body), masks without
# background, void partly marked horse (``_hash(name) % 4 == 0``).
SUBSET = (
    # train, with a mask (train_dev)
    '3_30_s',   # person; half of the void becomes horse
    '7_23_s',   # bicycle + car, no void
    '12_4_s',   # bird; half of the void becomes horse
    '16_1_s',   # boat + dog
    # train, without a mask
    '3_16_s',   # person
    '6_26_s',   # book + person
    '17_5_s',   # car + sign
    # val, with a mask (val_dev)
    '6_4_s',    # person and void only, no background
    '7_30_s',   # car + person
    '12_20_s',  # bird + chair
    # val, without a mask
    '6_3_s',    # book + person
    '19_4_s',   # bicycle + person
)
# Images the converter must drop: stuff only, horse on grass, all void.
DROPPED = ('2_1_s', '2_2_s', '2_3_s')

# MSRC-v2's label table (index = label id, as in the cleaned-up masks'
# ``newlabels``; colour in ``GroundTruth/*_GT.bmp``), written out from the
# release's documentation independently of the converter.
MSRC_LABELS = (
    ('void', (0, 0, 0)), ('building', (128, 0, 0)), ('grass', (0, 128, 0)),
    ('tree', (128, 128, 0)), ('cow', (0, 0, 128)), ('horse', (128, 0, 128)),
    ('sheep', (0, 128, 128)), ('sky', (128, 128, 128)),
    ('mountain', (64, 0, 0)), ('aeroplane', (192, 0, 0)),
    ('water', (64, 128, 0)), ('face', (192, 128, 0)), ('car', (64, 0, 128)),
    ('bicycle', (192, 0, 128)), ('flower', (64, 128, 128)),
    ('sign', (192, 128, 128)), ('bird', (0, 64, 0)), ('book', (128, 64, 0)),
    ('chair', (0, 192, 0)), ('road', (128, 64, 128)), ('cat', (0, 192, 128)),
    ('dog', (128, 192, 128)), ('body', (64, 64, 0)), ('boat', (192, 64, 0)))
MSRC_ID = {name: i for i, (name, _) in enumerate(MSRC_LABELS)}
MSRC_RGB = np.array([rgb for _, rgb in MSRC_LABELS], dtype=np.uint8)
STUFF_PAIRS = (('sky', 'grass'), ('building', 'road'), ('tree', 'water'),
               ('mountain', 'grass'), ('sky', 'road'), ('tree', 'grass'),
               ('building', 'water'))
VOID_ID = 255
# Mean absolute difference (grey levels) allowed between a source JPEG and
# its re-encoding (quality 95); all 494 demo images measured at most 1.89.
MAX_JPEG_DIFF = 3.0


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


def msrc_from_mask(name: str, mask: np.ndarray,
                   classes: Sequence[str]) -> np.ndarray:
    """MSRC label ids whose conversion gives back ``mask``."""
    height, width = mask.shape
    ids = np.zeros((height, width), dtype=np.uint8)  # void
    background = mask == 0
    ids[background] = stuff_background(name, height, width)[background]
    for cls_id in np.unique(mask):
        if 0 < cls_id < len(classes):
            paint_object(ids, mask == cls_id, classes[cls_id])
    if _hash(name) % 4 == 0:
        half = np.zeros_like(background)
        half[:, :width // 2] = True
        ids[(mask == VOID_ID) & half] = MSRC_ID['horse']
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


def build_tree(src: str, tree: str, names: Sequence[str]) -> None:
    """Rebuild a release-format tree of ``names`` from ``src``."""
    for sub in ('Images', 'GroundTruth', 'newsegmentations_mats'):
        os.makedirs(osp.join(tree, sub))
    with open(osp.join(src, 'labels.json')) as f:
        meta = json.load(f)
    for name in names:
        with Image.open(osp.join(src, 'JPEGImages', name + '.jpg')) as img:
            rgb = img.convert('RGB')
        rgb.save(osp.join(tree, 'Images', name + '.bmp'))
        mask_path = osp.join(src, 'SegmentationClass', name + '.png')
        if osp.exists(mask_path):
            ids = msrc_from_mask(name, np.array(Image.open(mask_path)),
                                 meta['classes'])
        else:
            ids = msrc_from_labels(name, meta['image_labels'][name],
                                   rgb.height, rgb.width)
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


def read_lines(path: str) -> List[bytes]:
    with open(path, 'rb') as f:
        return f.read().splitlines(keepends=True)


def stems(folder: str) -> List[str]:
    return sorted(osp.splitext(n)[0] for n in os.listdir(folder))


@pytest.fixture(scope='module')
def src(msrc_data_root: str) -> str:
    """The demo data, after checking that it holds the chosen images."""
    missing = [
        n for n in SUBSET
        if not osp.exists(osp.join(msrc_data_root, 'JPEGImages', n + '.jpg'))
    ]
    assert not missing, (f'{msrc_data_root} lacks the images {missing}: '
                         'pick other ones for SUBSET')
    return msrc_data_root


@pytest.fixture(scope='module')
def outputs(src: str, tmp_path_factory) -> Dict[str, str]:
    """Build the tree, convert it twice; {masks used: output folder}."""
    spec = importlib.util.spec_from_file_location('msrc_v2_roundtrip_tool',
                                                  TOOL)
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool
    spec.loader.exec_module(tool)

    work = tmp_path_factory.mktemp('msrc_roundtrip')
    tree = str(work / 'MSRC_ObjCategImageDatabase_v2')
    build_tree(src, tree, SUBSET)
    # The shipped splits, cut down to the images of this tree.
    split_dir = str(work / 'splits')
    os.makedirs(split_dir)
    for split in SPLITS:
        lines = read_lines(osp.join(SHIPPED_SPLITS, split + '.txt'))
        with open(osp.join(split_dir, split + '.txt'), 'wb') as f:
            f.writelines(line for line in lines
                         if line.decode().strip() in SUBSET)

    out_gt = str(work / 'out_groundtruth')
    tool.convert(tree, out_gt, split_dir=split_dir)
    # The MAT-files alone: the converter must not need GroundTruth/.
    shutil.move(osp.join(tree, 'GroundTruth'), str(work / 'GroundTruth_away'))
    out_mat = str(work / 'out_cleaned')
    tool.convert(
        tree, out_mat,
        cleaned_masks=osp.join(tree, 'newsegmentations_mats'),
        split_dir=split_dir)
    return {'groundtruth': out_gt, 'cleaned_masks': out_mat}


@pytest.fixture(params=['groundtruth', 'cleaned_masks'])
def out(request, outputs: Dict[str, str]) -> str:
    """One converter output: from ``GroundTruth/`` or from MAT-files."""
    return outputs[request.param]


def test_shipped_splits_are_the_demo_splits(src):
    """The converter's split files reproduce the demo's, byte for byte."""
    for split in SPLITS:
        shipped = read_lines(osp.join(SHIPPED_SPLITS, split + '.txt'))
        demo = read_lines(osp.join(src, SPLIT_DIR, split + '.txt'))
        assert shipped == demo, (
            f'msrc_v2_splits/{split}.txt differs from the demo data '
            f'{split}.txt: a conversion would not give the demo splits')


def test_image_names(out):
    got = stems(osp.join(out, 'JPEGImages'))
    assert got == sorted(SUBSET), (
        f'{out}: converted {got}, expected the source images '
        f'{sorted(SUBSET)}')


def test_dropped_images(out):
    with open(osp.join(out, 'labels.json')) as f:
        image_labels = json.load(f)['image_labels']
    with np.load(osp.join(out, 'cls_labels.npz'), allow_pickle=False) as npz:
        vector_names = npz['names'].tolist()
    for where, names in (
            ('JPEGImages', stems(osp.join(out, 'JPEGImages'))),
            ('SegmentationClass', stems(osp.join(out, 'SegmentationClass'))),
            ('cls_labels.npz', vector_names),
            ('labels.json', list(image_labels))):
        kept = sorted(set(DROPPED) & set(names))
        assert not kept, (f'{out}/{where} holds {kept}, which have no '
                          'object class and must be dropped')


def test_label_vectors(src, out):
    source = load_cls_labels(osp.join(src, 'cls_labels.npz'))  # or .npy
    want = {n: v for n, v in source.items() if n in SUBSET}
    with np.load(osp.join(out, 'cls_labels.npz'), allow_pickle=False) as npz:
        names, vectors = npz['names'].tolist(), npz['labels']
    assert names == list(want), (
        f'{out}/cls_labels.npz: names {names}, expected the source order '
        f'{list(want)}')
    assert vectors.dtype == np.float32, f'vectors are {vectors.dtype}'
    bad = [n for n, v in zip(names, vectors)
           if not np.array_equal(v, want[n])]
    assert not bad, f'{out}/cls_labels.npz: the vectors of {bad} differ'


def test_labels_json_byte_for_byte(src, out):
    with open(osp.join(src, 'labels.json'), 'rb') as f:
        source = f.read()
    meta = json.loads(source)
    # The source is what json.dumps(indent=0) writes, so its bytes for the
    # subset are the same call on the subset.
    assert json.dumps(meta, indent=0).encode() == source, (
        f'{src}/labels.json is not in the form json.dumps(indent=0) writes: '
        'update how this test cuts it down')
    meta['image_labels'] = {
        n: c for n, c in meta['image_labels'].items() if n in SUBSET}
    want = json.dumps(meta, indent=0).encode()
    with open(osp.join(out, 'labels.json'), 'rb') as f:
        have = f.read()
    assert have == want, (
        f'{out}/labels.json ({len(have)} bytes) differs from the source '
        f'cut down to the subset ({len(want)} bytes)')


def test_split_files(src, out):
    for split in SPLITS:
        want = [line for line in read_lines(
            osp.join(src, SPLIT_DIR, split + '.txt'))
                if line.decode().strip() in SUBSET]
        have = read_lines(osp.join(out, SPLIT_DIR, split + '.txt'))
        assert have == want, (
            f'{out}/{SPLIT_DIR}/{split}.txt: {have}, expected the source '
            f'lines {want}')


def test_masks_pixel_for_pixel(src, out):
    source_masks = [
        n for n in stems(osp.join(src, 'SegmentationClass')) if n in SUBSET]
    assert len(source_masks) == 7, (
        f'SUBSET should hold 7 images with masks, has {source_masks}')
    for name in source_masks:
        want = Image.open(osp.join(src, 'SegmentationClass', name + '.png'))
        have = Image.open(osp.join(out, 'SegmentationClass', name + '.png'))
        assert have.mode == 'P', f'{name}: mask mode {have.mode}, not P'
        assert have.getpalette() == want.getpalette(), \
            f'{name}: the palette differs from the source'
        diff = np.array(have) != np.array(want)
        assert not diff.any(), (
            f'{name}: {int(diff.sum())} pixel(s) differ from the source '
            f'mask, e.g. at (row, column) {tuple(np.argwhere(diff)[0])}')


def test_other_masks_fit_labels(src, out):
    """Masks the source holds back must hold exactly the image's classes."""
    with open(osp.join(src, 'labels.json')) as f:
        meta = json.load(f)
    classes, image_labels = meta['classes'], meta['image_labels']
    others = [n for n in SUBSET if not osp.exists(
        osp.join(src, 'SegmentationClass', n + '.png'))]
    assert len(others) == 5, \
        f'SUBSET should hold 5 images without masks: {others}'
    for name in others:
        mask = np.array(
            Image.open(osp.join(out, 'SegmentationClass', name + '.png')))
        present = sorted(
            classes[i] for i in np.unique(mask) if 0 < i < len(classes))
        assert present == sorted(image_labels[name]), (
            f'{name}: the converted mask holds {present}, labels.json says '
            f'{image_labels[name]}')


def test_jpegs_re_encoded(src, out):
    for name in SUBSET:
        with Image.open(osp.join(src, 'JPEGImages', name + '.jpg')) as img:
            a = np.asarray(img, dtype=np.int16)
        with Image.open(osp.join(out, 'JPEGImages', name + '.jpg')) as img:
            assert img.format == 'JPEG', f'{name}: written as {img.format}'
            b = np.asarray(img, dtype=np.int16)
        assert a.shape == b.shape, f'{name}: size {b.shape}, source {a.shape}'
        diff = np.abs(a - b).mean()
        assert diff < MAX_JPEG_DIFF, (
            f'{name}: mean |source - converted| {diff:.2f} grey levels, '
            f'more than re-encoding explains ({MAX_JPEG_DIFF})')
