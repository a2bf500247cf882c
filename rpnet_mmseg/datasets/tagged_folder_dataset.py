"""A plain folder of tagged photos as a dataset ("Your own data").

.. code-block:: none

    DIR/
    ├── images/NAME.jpg|.png      (any sizes; names with spaces allowed)
    ├── labels.csv | labels.json  (tags: rpnet_mmseg.fileio.tag_format)
    ├── classes.txt               (optional: the class order)
    ├── masks/NAME.png            (optional, some images: 0 background,
    │                              1..C the classes, 255 ignored)
    ├── splits/train.txt, val.txt (optional; one NAME a line)
    └── unlabelled/NAME.jpg       (optional: images without tags)

The classes (background first) and a palette come from the folder, so a
config names no class list and no class count of its own data.
:class:`TaggedFolderDataset` serves the image-level stages (CAM training
and writing, IRN's CAM input), :class:`TaggedFolderSegDataset` the stages
that read label maps (IRN on relation labels, DeepLab on pseudo-labels,
predictions). Without ``ann_file`` a dataset takes every image of its
image folder; ``ann_file`` is a split file under ``data_root`` or, when
none is there, relative to the working directory (the splits a pipeline
writes into its run folder, ``tools/split_folder.py``).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmengine.fileio as fileio
import numpy as np
from mmengine.utils import is_abs
from mmseg.registry import DATASETS

from ..fileio import (CLASSES_FILE, IMAGE_SUFFIXES, find_tag_file,
                      read_tag_file, split_path, voc_colormap)
from .image_level_dataset import ImageLevelSegDataset
from .pseudo_label_dataset import PseudoLabelSegDataset
from .voc_layout_dataset import Problem

__all__ = ['TaggedFolderDataset', 'TaggedFolderSegDataset', 'folder_images',
           'folder_metainfo']

FOLDER_PREFIX = dict(img_path='images', seg_map_path='masks')


def folder_images(img_dir: str, suffixes: Sequence[str]) -> Dict[str, str]:
    """The images of a folder: name (file stem) -> file.

    Raises:
        FileNotFoundError: If ``img_dir`` is no folder.
        ValueError: If two files share a name (``a.jpg`` and ``a.png``).
    """
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f"image folder '{img_dir}' does not exist")
    images: Dict[str, str] = {}
    for entry in sorted(fileio.list_dir_or_file(img_dir, list_dir=False)):
        stem, ext = osp.splitext(entry)
        if ext not in suffixes or entry.startswith('.'):
            continue
        if stem in images:
            raise ValueError(
                f"{img_dir}: two images named '{stem}' "
                f'({osp.basename(images[stem])}, {entry}); stage files are '
                'named by the file stem: rename one')
        images[stem] = osp.join(img_dir, entry)
    return images


def folder_metainfo(data_root: str, tag_file: Optional[str] = None,
                    classes_file: str = CLASSES_FILE,
                    metainfo: Optional[dict] = None) -> dict:
    """The metainfo of a folder: its classes, background first, a palette.

    Args:
        data_root (str): The folder.
        tag_file (str, optional): Tag file under ``data_root``. Defaults to
            None (``labels.csv``, else ``labels.json``).
        classes_file (str): ``classes.txt`` under ``data_root``, used when
            it exists.
        metainfo (dict, optional): A config's metainfo: its classes, if
            any, must be the folder's; its palette is kept.

    Returns:
        dict: ``classes`` and ``palette`` (VOC's colour map when none is
        given).
    """
    path = osp.join(data_root, tag_file) if tag_file else find_tag_file(
        data_root)
    classes = ('background', *read_tag_file(
        path, osp.join(data_root, classes_file)).classes)
    metainfo = dict(metainfo or {})
    given = metainfo.get('classes')
    if given and tuple(given) != classes:
        raise ValueError(f'metainfo classes {tuple(given)} differ from the '
                         f'classes of {data_root}: {classes}')
    return dict(metainfo, classes=classes,
                palette=metainfo.get('palette') or voc_colormap(len(classes)))


class _TaggedFolder:
    """What both folder datasets add to their VOC-layout base: the
    arguments below, then the base's (``cls_label_file`` is the tag file
    where the base reads image-level labels)."""
    # Whether the base reads image-level labels (``cls_label_file``).
    reads_tags = False

    def __init__(self,
                 ann_file: str = '',
                 tag_file: Optional[str] = None,
                 classes_file: str = CLASSES_FILE,
                 allow_empty: bool = False,
                 **kwargs) -> None:
        data_root = kwargs.get('data_root') or ''
        self.tag_file = tag_file or osp.basename(find_tag_file(data_root))
        self.classes_file = classes_file
        self.allow_empty = allow_empty
        kwargs['data_prefix'] = kwargs.get('data_prefix') or dict(
            FOLDER_PREFIX)
        kwargs.setdefault('img_suffix', IMAGE_SUFFIXES)
        kwargs['metainfo'] = folder_metainfo(data_root, self.tag_file,
                                             classes_file,
                                             kwargs.get('metainfo'))
        if self.reads_tags:
            kwargs['cls_label_file'] = self.tag_file
        super().__init__(ann_file=ann_file, **kwargs)

    def _join_prefix(self) -> None:
        """Join as mmengine does; a split file may also lie in a run
        folder (:func:`rpnet_mmseg.fileio.split_path`)."""
        ann_file = self.ann_file
        super()._join_prefix()
        if ann_file and not is_abs(ann_file):
            self.ann_file = split_path(self.data_root, ann_file)
        if not is_abs(self.classes_file):
            self.classes_file = osp.join(self.data_root, self.classes_file)

    @property
    def split_source(self) -> str:
        """str: The split file, or the image folder without one."""
        if self.ann_file:
            return super().split_source
        return f"image folder '{self.data_prefix.get('img_path', '')}'"

    def image_names(self) -> List[str]:
        """The split file's names, or every image of the image folder."""
        if self.ann_file:
            return super().image_names()
        img_dir = self.data_prefix.get('img_path', '')
        if self.allow_empty and not osp.isdir(img_dir):
            return []
        names = list(folder_images(img_dir, self.img_suffix))
        if not names and not self.allow_empty:
            raise ValueError(f"image folder '{img_dir}' holds no image "
                             f'({", ".join(self.img_suffix)})')
        return names

    def input_files(self) -> List[str]:
        """The base's files, and ``classes.txt`` where it exists."""
        extra = [self.classes_file] if osp.isfile(self.classes_file) else []
        return super().input_files() + extra

    def _serialize_data(self) -> tuple:
        """mmengine's serialization, also of an empty list."""
        if self.data_list:
            return super()._serialize_data()
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)


@DATASETS.register_module()
class TaggedFolderDataset(_TaggedFolder, ImageLevelSegDataset):
    """A folder of tagged photos with image-level labels (see the module
    docstring): an :class:`ImageLevelSegDataset` whose labels are the tags,
    whose classes and palette come from the folder, and whose masks (where
    they exist) are scored.

    Args:
        data_root (str): The folder.
        ann_file (str): Split file (see the module docstring). Defaults to
            '' (every image of ``images/``).
        tag_file (str, optional): Tag file under ``data_root``. Defaults to
            None (``labels.csv``, else ``labels.json``).
        classes_file (str): Class order, used when it exists. Defaults to
            'classes.txt'.
        allow_empty (bool): An image folder without images (or none at
            all) gives an empty dataset. Defaults to False.
        **kwargs: Other arguments of :class:`ImageLevelSegDataset`
            (``paired``, ``skip_done_dir``, ``pipeline``, ``test_mode``
            ...). ``data_prefix`` defaults to ``images`` / ``masks``,
            ``img_suffix`` to the usual image suffixes.
    """

    reads_tags = True

    def load_data_list(self) -> List[dict]:
        """As :class:`ImageLevelSegDataset`; nothing for an empty folder
        with ``allow_empty``."""
        if self.allow_empty and not self.image_names():
            return []
        return super().load_data_list()

    def check(self, names: Sequence[str]) -> List[Problem]:
        """The problems of the tags: unknown tags, names given twice,
        images without a tag row and rows without an image.

        Args:
            names (Sequence[str]): Image names, e.g. :meth:`image_names`.

        Returns:
            list[tuple[str, str]]: ``(kind, message)`` per problem.
        """
        try:
            table = read_tag_file(self.cls_label_file, self.classes_file)
            images = folder_images(self.data_prefix.get('img_path', ''),
                                   self.img_suffix)
        except Exception as e:  # an unreadable file or folder
            return [('tag file', str(e))]
        problems = list(table.problems)
        problems += [('untagged image',
                      f"image '{n}' has no row in '{table.path}'")
                     for n in names if n not in table.tags]
        img_dir = self.data_prefix.get('img_path', '')
        problems += [('row without image',
                      f"'{table.path}' tags '{n}', which is not in "
                      f"'{img_dir}'") for n in table.tags if n not in images]
        return problems


@DATASETS.register_module()
class TaggedFolderSegDataset(_TaggedFolder, PseudoLabelSegDataset):
    """A folder of photos with label maps (see the module docstring): a
    :class:`PseudoLabelSegDataset` (``pseudo_label_dir`` for the labels of
    an earlier stage, else the folder's ``masks/``) whose classes and
    palette come from the folder. With ``seg_map_optional=True`` a folder
    without ``masks/`` is read too (nothing to score).

    Args:
        ann_file (str): Split file (see the module docstring). Defaults to
            '' (every image of ``data_prefix['img_path']``, e.g.
            ``unlabelled``).
        tag_file (str, optional): Tag file (for the classes). Defaults to
            None (``labels.csv``, else ``labels.json``).
        classes_file (str): Class order, used when it exists. Defaults to
            'classes.txt'.
        allow_empty (bool): An image folder without images (or none at
            all) gives an empty dataset. Defaults to False.
        **kwargs: Other arguments of :class:`PseudoLabelSegDataset`.
    """

    def load_data_list(self) -> List[dict]:
        """Pair each image with its label map; without a label-map folder
        and with ``seg_map_optional``, every image without one."""
        names = self.image_names()
        if self.allow_empty and not names:
            return []
        if self.seg_map_optional and not osp.isdir(self.seg_map_dir or ''):
            return [self._data_info(n, self._image_path(n), None)
                    for n in names]
        return super().load_data_list()
