"""Images paired with the pseudo-labels of the IRN stage (VOC layout)."""
import logging
import os.path as osp
from typing import List, Optional

import mmengine.fileio as fileio
import numpy as np
from mmengine.logging import print_log
from mmseg.registry import DATASETS

from .label_map_check import run_pipeline_checked
from .voc_layout_dataset import VOCLayoutSegDataset

# How many missing names an error or warning lists before it is cut short.
_MAX_NAMES = 5


@DATASETS.register_module()
class PseudoLabelSegDataset(VOCLayoutSegDataset):
    """A segmentation dataset whose label maps come from a previous stage.

    The segmentation stage of RPNet trains DeepLab-LargeFOV on the
    pseudo-labels written by the IRN stage: one ``NAME.png`` per training
    image, values ``0..C-1`` (background 0) and ``ignore_index`` (255) for
    undecided pixels. This dataset pairs each image of a split file with
    ``pseudo_label_dir/NAME.png``; everything else (loading, augmentation,
    packing) is mmseg's own pipeline (``LoadAnnotations`` ...).

    With ``pseudo_label_dir=None`` the label maps come from
    ``data_prefix['seg_map_path']`` under ``data_root`` (ground-truth masks,
    e.g. for validation on a VOC-layout split).

    .. code-block:: none

        data_root/
        ├── JPEGImages/NAME.jpg
        ├── SegmentationClass/NAME.png     (masks, when pseudo_label_dir=None)
        └── ImageSets/Segmentation/*.txt   (ann_file: one NAME per line)
        pseudo_label_dir/NAME.png          (pseudo-labels of the IRN stage)

    An image of the split without a label map is an error that names the
    first few missing files and their count; ``skip_missing=True`` drops such
    images instead (with a warning), and ``seg_map_optional=True`` keeps them
    with ``seg_map_path=None`` (prediction on a split whose masks exist for
    some images only; load them with ``LoadOptionalAnnotations``).

    Class ids are used as they are (no label remapping, see
    :class:`VOCLayoutSegDataset`): ``metainfo['classes']`` lists background
    first, as the label PNGs index it. Every label map is checked as soon
    as the pipeline loaded it (an (H, W) map of class ids of its image's
    size, not an RGB PNG: :func:`run_pipeline_checked`) and once packed for
    values outside ``[0, C) + {ignore_index}``, so a pseudo-label folder of
    another dataset fails naming the file. An empty split file, or a split
    none of whose images has a label map, is an error naming the file.

    Args:
        ann_file (str): Split file, one image name per line (relative to
            ``data_root``).
        pseudo_label_dir (str, optional): Folder of the ``NAME.png``
            pseudo-labels. Absolute, or relative to the working directory
            like ``work_dir`` (not to ``data_root``). Defaults to None (use
            ``data_prefix['seg_map_path']``).
        skip_missing (bool): Drop images without a label map (logged)
            instead of raising. Defaults to False.
        seg_map_optional (bool): Keep images without a label map, with
            ``seg_map_path=None``. Defaults to False.
        check_labels (bool): Check the values of every packed label map.
            Defaults to True.
        ignore_index (int): The "undecided" value of the label maps.
            Defaults to 255.
        **kwargs: Other arguments of :class:`VOCLayoutSegDataset`
            (``data_prefix``, ``img_suffix``, ``seg_map_suffix`` (of the
            label maps too), ``data_root``, ``metainfo``, ``pipeline``,
            ``test_mode``, ``indices``, ``backend_args`` ...).
            ``reduce_zero_label`` must stay False.
    """

    def __init__(self,
                 ann_file: str = '',
                 pseudo_label_dir: Optional[str] = None,
                 skip_missing: bool = False,
                 seg_map_optional: bool = False,
                 check_labels: bool = True,
                 ignore_index: int = 255,
                 **kwargs) -> None:
        if skip_missing and seg_map_optional:
            raise ValueError('skip_missing and seg_map_optional exclude each '
                             'other: drop images without a label map, or '
                             'keep them without one')
        self.pseudo_label_dir = pseudo_label_dir
        self.skip_missing = skip_missing
        self.seg_map_optional = seg_map_optional
        self.check_labels = check_labels
        super().__init__(
            ann_file=ann_file, ignore_index=ignore_index, **kwargs)

    @property
    def seg_map_dir(self) -> Optional[str]:
        """str: The folder the label maps are read from."""
        if self.pseudo_label_dir is not None:
            return self.pseudo_label_dir
        return super().seg_map_dir

    @property
    def masks_required(self) -> bool:
        """bool: Whether every image needs a label map: unless
        ``skip_missing`` or ``seg_map_optional``."""
        return not (self.skip_missing or self.seg_map_optional)

    def load_data_list(self) -> List[dict]:
        """Pair every image of the split with its label map.

        Returns:
            list[dict]: One info dict per image with ``img_path``,
            ``seg_map_path``, ``img_id``, ``label_map`` (None),
            ``reduce_zero_label`` (False) and ``seg_fields``.

        Raises:
            FileNotFoundError: For a missing split file, image or label-map
                folder, or (without ``skip_missing`` / ``seg_map_optional``)
                images without a label map, naming them.
        """
        names = self.image_names()
        seg_dir = self.seg_map_dir
        if not seg_dir:
            raise ValueError('no label-map folder: set pseudo_label_dir or '
                             "data_prefix['seg_map_path']")
        if not fileio.isdir(seg_dir, backend_args=self.backend_args):
            source = ('pseudo_label_dir' if self.pseudo_label_dir is not None
                      else "data_prefix['seg_map_path']")
            raise FileNotFoundError(
                f"label-map folder ({source}) '{seg_dir}' does not exist")
        data_list, missing = [], []
        for name in names:
            img_path = self._image_path(name)
            seg_map_path = osp.join(seg_dir, name + self.seg_map_suffix)
            if not fileio.exists(seg_map_path,
                                 backend_args=self.backend_args):
                missing.append(name)
                if not self.seg_map_optional:
                    continue
                seg_map_path = None
            data_list.append(self._data_info(name, img_path, seg_map_path))
        if missing:
            self._report_missing(missing, len(names), seg_dir)
        if not data_list:
            raise FileNotFoundError(
                f'none of the {len(names)} image(s) of {self.split_source} '
                "has a label map "
                f"'{seg_dir}/NAME{self.seg_map_suffix}': nothing to train "
                'on (did the previous stage write to another folder?)')
        return data_list

    def _report_missing(self, missing: List[str], total: int,
                        seg_dir: str) -> None:
        """Raise on (or log) the images of the split without a label map."""
        shown = ', '.join(missing[:_MAX_NAMES]) + (
            ', ...' if len(missing) > _MAX_NAMES else '')
        what = (f'{len(missing)} of {total} image(s) of '
                f"{self.split_source} have no label map "
                f"'{seg_dir}/NAME{self.seg_map_suffix}': {shown}")
        if self.skip_missing:
            print_log(f'{what}; skipped (skip_missing=True)',
                      logger='current', level=logging.WARNING)
        elif self.seg_map_optional:
            print_log(f'{what}; kept without a label map '
                      '(seg_map_optional=True)', logger='current')
        else:
            raise FileNotFoundError(
                f'{what}. Did the previous stage finish? Set '
                'skip_missing=True to train on the others.')

    def prepare_data(self, idx: int):
        """Run the pipeline, checking the label map against its image as
        soon as it is loaded, then the packed label map's values.

        Raises:
            LabelMapError: A label map of the wrong shape (named).
            RuntimeError: A failure of the pipeline (e.g. a truncated label
                PNG), naming the image and its label map.
            ValueError: A label map value that is no class id (named).
        """
        results = run_pipeline_checked(self.pipeline, self.get_data_info(idx))
        if self.check_labels and isinstance(results, dict):
            self._check_label_values(results, idx)
        return results

    def _check_label_values(self, results: dict, idx: int) -> None:
        """Raise if a packed label map holds a value that is no class id."""
        samples = results.get('data_samples')
        seg = getattr(samples, 'gt_sem_seg', None) if samples is not None \
            else None
        if seg is None:
            return
        values = np.unique(seg.data.numpy())
        num_classes = len(self._metainfo['classes'])
        bad = values[(values >= num_classes) & (values != self.ignore_index)]
        if bad.size:
            path = self.get_data_info(idx).get('seg_map_path')
            raise ValueError(
                f"label map '{path}' holds values {bad.tolist()}: expected "
                f'0..{num_classes - 1} (metainfo classes) or '
                f'{self.ignore_index} (ignored)')
