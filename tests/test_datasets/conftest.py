"""A tiny generated VOC-layout dataset for the dataset tests."""
import os
import os.path as osp
import types

import numpy as np
import pytest
from PIL import Image

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


@pytest.fixture(scope='session', autouse=True)
def _registered():
    """Register mmseg's modules and ours once, with default scope mmseg."""
    from mmseg.utils import register_all_modules

    import rpnet_mmseg.datasets  # noqa: F401
    register_all_modules(init_default_scope=True)


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
