"""Shared test set-up: register mmseg's and rpnet_mmseg's modules.

Fixtures used in more than one test folder live here: the demo data
(``msrc_data_root``) and the toy CAMs and masks of the evaluation tests and
of ``tools/eval_cams.py``'s (``toy``, ``voc_root``, ``png_writer``), and
the tiny VOC-layout dataset of the dataset and converter tests
(``tiny_voc``, ``make_dataset``).
"""
import json
import os
import os.path as osp
import socket
import types

os.environ.setdefault('OMP_NUM_THREADS', '2')
# The folder digests of the tests' trees are cached apart from the user's.
if 'RPNET_MMSEG_CACHE' not in os.environ:
    import tempfile
    os.environ['RPNET_MMSEG_CACHE'] = tempfile.mkdtemp(prefix='rpnet_cache_')

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import rpnet_mmseg  # noqa: E402,F401
from mmseg.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)


@pytest.fixture(scope='session')
def msrc_data_root() -> str:
    """The demo's MSRC-VOC at the configs' ``data_root``, ``data/msrc_voc``.

    As ``tools/run_demo.py`` does, ``data/msrc_voc`` (git-ignored) is made a
    link to ``../shared/data/msrc_voc`` when only that exists, so that a
    shipped config run as it is finds the data. Skips the test when there is
    no copy of the data.

    Returns:
        str: Absolute path of the repository's ``data/msrc_voc``.
    """
    from rpnet_mmseg.pipeline import link_demo_data_root
    try:
        return link_demo_data_root()
    except FileNotFoundError as e:
        pytest.skip(f'demo data not found: {str(e).splitlines()[0]}')


# Toy CAMs and masks: image "a" (4 x 4, classes 1 and 2, one void pixel) and
# image "b" (2 x 2, class 2 only, one void pixel); the expected confusion
# matrices are worked out by hand in test_evaluation/test_cam_metric.py.
TOY_CLASSES = ('background', 'cat', 'dog')
TOY_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def _cams_a() -> dict:
    cat = [[.9, .8, .1, 0.], [.7, .3, 0., 0.], [.2, .1, 0., 0.],
           [0., 0., 0., 0.]]
    dog = [[0., 0., 0., 0.], [0., .4, .6, .9], [0., 0., .3, .8],
           [0., 0., .1, .2]]
    high_res = np.array([cat, dog], dtype=np.float32)
    return {
        'keys': np.array([0, 1], dtype=np.int64),
        'cam': high_res[:, ::2, ::2].copy(),
        'high_res': high_res,
    }


def _cams_b() -> dict:
    high_res = np.array([[[.6, .1], [.9, .12]]], dtype=np.float32)
    return {
        'keys': np.array([1], dtype=np.int64),
        'cam': high_res[:, :1, :1].copy(),
        'high_res': high_res,
    }


MASK_A = np.array([[1, 1, 0, 0], [1, 1, 2, 2], [0, 255, 2, 2], [0, 0, 0, 2]])
MASK_B = np.array([[2, 0], [255, 2]])


@pytest.fixture
def toy():
    """Fresh copies of the toy CAM dicts and masks, keyed by image name."""
    return {
        'a': (_cams_a(), MASK_A.copy()),
        'b': (_cams_b(), MASK_B.copy()),
    }


def write_palette_png(path: str, mask: np.ndarray) -> None:
    """Write ``mask`` as a VOC-style palette PNG (pixel value = class id)."""
    h, w = mask.shape
    img = Image.frombytes('P', (w, h), mask.astype(np.uint8).tobytes())
    flat = [c for rgb in TOY_PALETTE for c in rgb]
    img.putpalette(flat + [224, 224, 192] * (256 - len(TOY_PALETTE)))
    img.save(path)


@pytest.fixture
def voc_root(tmp_path, toy):
    """A VOC-like folder: images a, b (masks) and c, d (no masks), CAMs."""
    root = tmp_path / 'voc'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    rng = np.random.default_rng(0)
    for name, (cam_dict, mask) in toy.items():
        h, w = mask.shape
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
            root / 'JPEGImages' / f'{name}.jpg')
        write_palette_png(
            str(root / 'SegmentationClass' / f'{name}.png'), mask)
        np.savez(cam_dir / f'{name}.npz', **cam_dict)
    split_dir = root / 'ImageSets' / 'Segmentation'
    (split_dir / 'train_dev.txt').write_text('a\nb\n')
    (split_dir / 'train.txt').write_text('a\nb\nc\nd\n')
    (root / 'labels.json').write_text(
        json.dumps({'classes': list(TOY_CLASSES), 'palette': TOY_PALETTE}))
    return str(root), str(cam_dir)


@pytest.fixture
def png_writer():
    """The palette PNG writer, for tests that build their own masks."""
    return write_palette_png


@pytest.fixture
def free_port():
    """A function giving a TCP port that nothing listens on now.

    For torchrun's ``--master_port`` / the launchers' ``PORT``: a fixed port
    is taken when two test sessions (or a training job) run at once.
    """
    def _port() -> int:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            return sock.getsockname()[1]

    return _port


# The tiny VOC-layout dataset (``tiny_voc``, ``make_dataset``).
CLASSES = ('background', 'cat', 'dog', 'car', 'tree')
PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]
# Foreground class ids (0-based, background excluded) of each image.
TRAIN = {
    'img_00': [0],
    'img_01': [0],
    'img_02': [0, 1],
    'img_03': [1],
    'img_04': [1, 2],
    'img_05': [2],
    'img_06': [2],
    'img_07': [3],
    'img_08': [3, 0],
    'img_09': [0],
    'img_10': [1],
    'img_11': [2, 3],
    'img_12': [3],
    'img_13': [0],
    'img_14': [1],
    'img_15': [2],
}
VAL = {'val_00': [0], 'val_01': [1, 2], 'val_02': [3]}
# Images whose mask is withheld (seg_map_path must be None).
NO_MASK = ('img_15', 'val_02')
WIDTH, HEIGHT = 40, 30


def multi_hot(class_ids, num_classes=len(CLASSES) - 1):
    """Float32 multi-hot vector of ``class_ids``."""
    label = np.zeros(num_classes, dtype=np.float32)
    label[list(class_ids)] = 1
    return label


def write_mask(path, class_ids):
    """Palette PNG: one vertical band per class, a void border."""
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    band = WIDTH // (len(class_ids) + 1)
    for i, cls_id in enumerate(class_ids):
        mask[5:25, (i + 1) * band - 4:(i + 1) * band + 4] = cls_id + 1
    mask[0, :] = 255
    # A full 256-colour palette, as VOC's masks have (255 = void colour):
    # with a short one Pillow may renumber the unused-colour indices.
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[:len(PALETTE)] = PALETTE
    palette[255] = (224, 224, 192)
    img = Image.fromarray(mask, mode='P')
    img.putpalette(palette.ravel().tolist())
    img.save(path)


def write_xml(path, class_ids):
    """VOC-style XML annotation listing one object per class."""
    objects = ''.join(f'<object><name>{CLASSES[c + 1]}</name><difficult>0'
                      '</difficult></object>' for c in class_ids)
    with open(path, 'w') as f:
        f.write(f'<annotation><filename>x.jpg</filename>{objects}'
                '</annotation>')


def save_cls_labels(path, labels):
    """Write ``{name: vector}`` as the project's ``cls_labels.npz``."""
    from rpnet_mmseg.fileio import save_cls_labels as save
    save(path, labels)


def save_irn_cls_labels(path, labels):
    """Pickle ``{name: vector}`` the way IRN's code does (legacy format)."""
    np.save(path, labels, allow_pickle=True)


def build_voc(root):
    """Write the tiny dataset under ``root``."""
    rng = np.random.default_rng(0)
    for sub in ('JPEGImages', 'SegmentationClass', 'Annotations',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    labels = {}
    for split, items in (('train', TRAIN), ('val', VAL)):
        for name, class_ids in items.items():
            pixels = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(
                osp.join(root, 'JPEGImages', name + '.jpg'))
            if name not in NO_MASK:
                write_mask(
                    osp.join(root, 'SegmentationClass', name + '.png'),
                    class_ids)
            write_xml(osp.join(root, 'Annotations', name + '.xml'), class_ids)
            labels[name] = multi_hot(class_ids)
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'),
                  'w') as f:
            f.write('\n'.join(items) + '\n')
    save_cls_labels(osp.join(root, 'cls_labels.npz'), labels)


@pytest.fixture
def tiny_voc(tmp_path):
    """The tiny dataset plus what the tests need to know about it."""
    root = str(tmp_path / 'voc')
    build_voc(root)
    return types.SimpleNamespace(
        root=root,
        classes=CLASSES,
        metainfo=dict(classes=CLASSES, palette=PALETTE),
        train=TRAIN,
        val=VAL,
        no_mask=NO_MASK,
        multi_hot=multi_hot,
        save_cls_labels=save_cls_labels,
        save_irn_cls_labels=save_irn_cls_labels)


@pytest.fixture
def make_dataset(tiny_voc):
    """Build an ``ImageLevelSegDataset`` on the tiny data; kwargs override."""
    from rpnet_mmseg.datasets import ImageLevelSegDataset

    def _make(**kwargs):
        cfg = dict(
            data_root=tiny_voc.root,
            ann_file='ImageSets/Segmentation/train.txt',
            metainfo=tiny_voc.metainfo,
            serialize_data=True)
        cfg.update(kwargs)
        return ImageLevelSegDataset(**cfg)

    return _make


@pytest.fixture
def tagged_folder(tmp_path):
    """A builder of tiny folders of tagged photos ("Your own data").

    ``make(rows=..., classes=..., masks=...)`` writes ``images/`` (a file
    per CSV row), ``labels.csv``, ``classes.txt`` and ``masks/NAME.png``
    (ones, 10 x 12) under ``tmp_path/photos`` and returns its path. The
    default rows: ``a.jpg`` cat, ``b.png`` dog;cat, ``my c.jpg`` dog,
    ``e.jpg`` no tag; classes ``dog``, ``cat``; a mask for ``a``.
    """

    def make(rows=('a.jpg,cat', 'b.png,dog;cat', 'my c.jpg,dog', 'e.jpg,'),
             classes='dog\ncat\n', masks=('a', )):
        root = str(tmp_path / 'photos')
        os.makedirs(osp.join(root, 'images'), exist_ok=True)
        for row in rows:
            Image.fromarray(np.full((10, 12, 3), 100, np.uint8)).save(
                osp.join(root, 'images', row.split(',')[0]))
        with open(osp.join(root, 'labels.csv'), 'w') as f:
            f.write('image,labels\n' + '\n'.join(rows) + '\n')
        if classes:
            with open(osp.join(root, 'classes.txt'), 'w') as f:
                f.write(classes)
        for name in masks:
            os.makedirs(osp.join(root, 'masks'), exist_ok=True)
            Image.fromarray(np.ones((10, 12), np.uint8)).save(
                osp.join(root, 'masks', name + '.png'))
        return root

    return make
