"""The base of the datasets that read a VOC-layout tree by a split file."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine.fileio as fileio
import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.voc import PascalVOCDataset

from ..fileio import image_file, read_split

# What :meth:`VOCLayoutSegDataset.check` reports: ``(kind, message)``.
Problem = Tuple[str, str]


class VOCLayoutSegDataset(BaseSegDataset):
    """Images of a split file in VOC layout, class ids used as they are.

    What :class:`ImageLevelSegDataset` and :class:`PseudoLabelSegDataset`
    share. The images of ``ann_file`` (one name a line, read with
    :func:`rpnet_mmseg.fileio.read_split`) are read from a tree such as

    .. code-block:: none

        data_root/
        ├── JPEGImages/NAME.jpg
        ├── SegmentationClass/NAME.png     (masks)
        └── ImageSets/Segmentation/*.txt   (ann_file: one NAME per line)

    ``metainfo['classes']`` lists the background as index 0, as the label
    PNGs index it: masks are never remapped (no ``label_map``,
    ``reduce_zero_label`` must stay False), and a longer palette (VOC's
    default for a dataset with fewer classes) is cut to the classes.

    Tools read a dataset's data through its public methods, without loading
    it: :meth:`image_names` (the split), :meth:`label_source` (the masks or
    pseudo-labels), :meth:`image_labels` (image-level labels, where the
    dataset has them) and :meth:`check` (problems of the annotations that
    the dataset reads besides the image and label-map files).

    Args:
        ann_file (str): Split file, one image name per line (relative to
            ``data_root``).
        data_prefix (dict, optional): Image and mask folders under
            ``data_root``. Defaults to ``dict(img_path='JPEGImages',
            seg_map_path='SegmentationClass')``.
        img_suffix (str | Sequence[str]): Image file suffix, or suffixes
            tried in order. Defaults to '.jpg'.
        seg_map_suffix (str): Mask file suffix. Defaults to '.png'.
        **kwargs: Other arguments of :class:`BaseSegDataset` (``data_root``,
            ``metainfo``, ``pipeline``, ``test_mode``, ``lazy_init``,
            ``backend_args`` ...). ``reduce_zero_label`` must stay False.
    """
    METAINFO = copy.deepcopy(PascalVOCDataset.METAINFO)
    # Whether an image without a label map is an error (label_source).
    masks_required: bool = True

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        if kwargs.get('reduce_zero_label', False):
            raise ValueError(
                f'{type(self).__name__} keeps background as class 0; '
                'reduce_zero_label=True is not supported.')
        if data_prefix is None:
            data_prefix = dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass')
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    @classmethod
    def get_label_map(cls,
                      new_classes: Optional[Sequence] = None) -> None:
        """Masks already index ``metainfo['classes']``: never remap."""
        return None

    def _update_palette(self) -> list:
        """Match the palette to the classes.

        A longer palette (the default VOC colour map for a dataset with fewer
        classes) is cut to the first ``len(classes)`` colours, which is the
        colour map palette PNG masks use; an empty one is generated.
        """
        palette = list(self._metainfo.get('palette', []))
        classes = self._metainfo.get('classes', [])
        if len(palette) >= len(classes) > 0:
            return palette[:len(classes)]
        if palette:
            raise ValueError(f'metainfo palette has {len(palette)} colours '
                             f'for {len(classes)} classes')
        return super()._update_palette()

    def image_names(self) -> List[str]:
        """The image names of the split file (``ann_file``), in file order.

        Returns:
            list[str]: One name per non-blank line.

        Raises:
            FileNotFoundError: If ``ann_file`` does not exist (names it).
            ValueError: If it lists no image (names it).
        """
        return read_split(
            self.ann_file, self.backend_args, what='split file (ann_file)')

    @property
    def split_source(self) -> str:
        """str: Where the image names come from, for messages."""
        return f"split file '{self.ann_file}'"

    @property
    def seg_map_dir(self) -> Optional[str]:
        """str: The folder the label maps are read from (None: no masks)."""
        return self.data_prefix.get('seg_map_path', None)

    def label_source(self) -> Tuple[Optional[str], bool]:
        """Where the label maps are, and whether every image needs one.

        Returns:
            tuple[str | None, bool]: :attr:`seg_map_dir`, the folder of the
            ``NAME`` + ``seg_map_suffix`` masks, and :attr:`masks_required`,
            whether an image without one is an error (True here: a mask per
            image).
        """
        return self.seg_map_dir, self.masks_required

    def input_files(self) -> List[str]:
        """The files and folders the dataset reads (what makes its data).

        Returns:
            list[str]: The split file (``ann_file``), the image folder and
            the label-map folder (where the dataset has one).
        """
        paths = [self.ann_file, self.data_prefix.get('img_path'),
                 self.label_source()[0]]
        return [p for p in paths if p]

    def image_labels(self, names: Sequence[str]) -> Dict[str, np.ndarray]:
        """The image-level labels of ``names``, where the dataset has any.

        Args:
            names (Sequence[str]): Image names, e.g. :meth:`image_names`.

        Returns:
            dict[str, np.ndarray]: ``{name: (C,) bool}``, True for the
            positive foreground classes; empty here (the masks are the
            labels).
        """
        return {}

    def check(self, names: Sequence[str]) -> List[Problem]:
        """Problems of the annotations of ``names`` the dataset reads
        besides the image and label-map files (none here).

        Args:
            names (Sequence[str]): Image names, e.g. :meth:`image_names`.

        Returns:
            list[tuple[str, str]]: ``(kind, message)`` per problem, the
            message naming the file and the image.
        """
        return []

    def image_file(self, name: str) -> str:
        """The image file of ``name`` (it may not exist).

        ``img_suffix`` may be a sequence of suffixes: the first file that
        exists (:func:`rpnet_mmseg.fileio.image_file`).
        """
        return image_file(
            self.data_prefix.get('img_path', None) or '', name,
            self.img_suffix, self.backend_args)

    def _image_path(self, name: str) -> str:
        """The image file of ``name``; it must exist."""
        img_path = self.image_file(name)
        if not fileio.exists(img_path, backend_args=self.backend_args):
            raise FileNotFoundError(f"image '{img_path}' listed in split "
                                    f"file '{self.ann_file}' does not exist")
        return img_path

    def _data_info(self, name: str, img_path: str,
                   seg_map_path: Optional[str], **extra) -> dict:
        """The info dict of one image (mmseg's keys plus ``extra``)."""
        return dict(
            img_path=img_path,
            seg_map_path=seg_map_path,
            img_id=name,
            **extra,
            label_map=self.label_map,
            reduce_zero_label=False,
            seg_fields=[])
