"""A VOC-layout dataset with image-level (multi-hot) class labels."""
import logging
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine.fileio as fileio
import numpy as np
from mmengine.dataset.base_dataset import force_full_init
from mmengine.logging import print_log
from mmengine.utils import is_abs
from mmseg.registry import DATASETS

from ..fileio import (CAM_SUFFIX, CLS_LABEL_FILE, find_cls_label_file,
                      load_cls_labels)
from .label_map_check import run_pipeline_checked
from .voc_layout_dataset import Problem, VOCLayoutSegDataset

# How many example names a warning lists before it is cut short.
_MAX_NAMES_IN_LOG = 5


def select_class_subset(labels: np.ndarray,
                        fraction: float,
                        seed: int = 0) -> np.ndarray:
    """Pick a class-balanced fraction of a multi-label training set.

    For each class in increasing class id order, the images holding that
    class are shuffled with one ``np.random.default_rng(seed)`` and the first
    ``ceil(n * fraction)`` are kept; the result is the union over classes, so
    every class keeps at least its share (images with several classes may
    push a class above it). This is the sub-sampling of the training set
    used for the label-fraction study (Table II) of the RPNet paper.

    Args:
        labels (np.ndarray): (N, C) multi-hot labels; a value > 0 is a
            positive class.
        fraction (float): Share of each class's images to keep, in (0, 1].
        seed (int): Seed of the shuffles. Defaults to 0.

    Returns:
        np.ndarray: Sorted indices (into ``labels``) of the kept images.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'subset fraction must be in (0, 1], got {fraction}')
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(labels), dtype=bool)
    for cls_id in range(labels.shape[1]):
        members = np.flatnonzero(labels[:, cls_id] > 0)
        if members.size == 0:
            continue
        # The epsilon stops float error such as 100 * 0.07 = 7.000000000000001
        # from keeping one image more than the fraction says.
        num_keep = math.ceil(members.size * fraction - 1e-9)
        keep[rng.permutation(members)[:num_keep]] = True
    return np.flatnonzero(keep)


@DATASETS.register_module()
class ImageLevelSegDataset(VOCLayoutSegDataset):
    """Segmentation dataset trained from image-level labels (VOC layout).

    Serves the weakly supervised stages of RPNet (`Cross-Image Region Mining
    with Region Prototypical Network for Weakly Supervised Segmentation
    <https://arxiv.org/abs/2108.07413>`_): each sample carries a multi-hot
    ``gt_label`` over the foreground classes and, when its mask exists, the
    path of its pixel mask for evaluation. With ``paired=True`` each sample
    is a ``[query, partner]`` pair of images that share at least one class.

    .. code-block:: none

        data_root/
        ├── JPEGImages/NAME.jpg
        ├── SegmentationClass/NAME.png     (optional, evaluation only)
        ├── ImageSets/Segmentation/*.txt   (ann_file: one NAME per line)
        └── cls_labels.npz                 (names [N], multi-hot labels [N, C])

    ``metainfo['classes']`` must list the background as index 0 followed by
    the foreground classes in the order of the label vectors;
    mask values are taken to be indices into that list (no label remapping).
    Images without a positive class are skipped with a warning; an empty
    split file, or one none of whose images has a positive class, is an
    error naming the file. A mask is checked against its image as soon as
    the pipeline loads it (:func:`run_pipeline_checked`): an (H, W) map of
    class ids of the image's size, not an RGB PNG. Tools read the split,
    the label vectors and the mask folder through the public methods of
    :class:`VOCLayoutSegDataset`; :meth:`image_labels` and :meth:`check`
    parse the vectors as loading does.

    Args:
        ann_file (str): Split file, one image name per line (relative to
            ``data_root``).
        cls_label_file (str): Image-level label file, relative to
            ``data_root`` unless absolute: ``cls_labels.npz``, or IRN's
            pickled ``cls_labels.npy`` (read with a restricted unpickler,
            also when the ``.npz`` is missing; see
            :func:`rpnet_mmseg.fileio.load_cls_labels`). Defaults to
            'cls_labels.npz'.
        paired (bool): Return ``[query, partner]`` pairs. Defaults to False.
        allow_self_pair (bool): Whether an image may be its own partner.
            Defaults to True.
        subset_fraction (float, optional): Keep this share of each class's
            images (see :func:`select_class_subset`). Defaults to None (all).
        subset_seed (int): Seed of the subset choice. Defaults to 0.
        skip_done_dir (str, optional): Drop images whose
            ``skip_done_dir/NAME{skip_done_suffix}`` exists, to resume an
            inference run whose outputs are written atomically. Defaults to
            None.
        skip_done_suffix (str): Suffix of those outputs. Defaults to
            '.npz' (CAM files).
        **kwargs: Other arguments of :class:`VOCLayoutSegDataset`
            (``data_prefix``, ``img_suffix``, ``seg_map_suffix``,
            ``data_root``, ``metainfo``, ``pipeline``, ``test_mode``,
            ``lazy_init``, ``backend_args`` ...). ``reduce_zero_label``
            must stay False.
    """

    # The masks are optional: they serve evaluation only.
    masks_required = False
    # Arguments that choose which images run, not what an image gives: a
    # writer's producer identity leaves them out (see
    # rpnet_mmseg.fileio.provenance.selection_args).
    selection_args = ('subset_fraction', 'subset_seed', 'skip_done_dir',
                      'skip_done_suffix')

    def __init__(self,
                 ann_file: str = '',
                 cls_label_file: str = CLS_LABEL_FILE,
                 paired: bool = False,
                 allow_self_pair: bool = True,
                 subset_fraction: Optional[float] = None,
                 subset_seed: int = 0,
                 skip_done_dir: Optional[str] = None,
                 skip_done_suffix: str = CAM_SUFFIX,
                 **kwargs) -> None:
        if subset_fraction is not None and not 0 < subset_fraction <= 1:
            raise ValueError(
                f'subset_fraction must be in (0, 1], got {subset_fraction}')
        self.cls_label_file = cls_label_file
        self.paired = paired
        self.allow_self_pair = allow_self_pair
        self.subset_fraction = subset_fraction
        self.subset_seed = subset_seed
        self.skip_done_dir = skip_done_dir
        self.skip_done_suffix = skip_done_suffix
        self._label_matrix = np.zeros((0, 0), dtype=bool)
        self._class_members: List[np.ndarray] = []
        super().__init__(ann_file=ann_file, **kwargs)

    def _join_prefix(self) -> None:
        """Also join ``cls_label_file`` with ``data_root``."""
        super()._join_prefix()
        if not is_abs(self.cls_label_file):
            self.cls_label_file = osp.join(self.data_root,
                                           self.cls_label_file)

    @property
    def num_fg_classes(self) -> int:
        """int: Length of a label vector (classes without background)."""
        classes = self._metainfo.get('classes') or ()
        if len(classes) < 2:
            raise ValueError(
                "metainfo['classes'] must list 'background' and at least one "
                f'foreground class, got {classes}')
        return len(classes) - 1

    def input_files(self) -> List[str]:
        """The split file, image and mask folders, and the label file read
        (``cls_labels.npz``, or IRN's ``.npy`` where only that exists)."""
        return super().input_files() + [
            find_cls_label_file(self.cls_label_file, self.backend_args)
        ]

    def image_labels(self, names: Sequence[str]) -> Dict[str, np.ndarray]:
        """The label vectors of ``names``, read as loading reads them.

        Args:
            names (Sequence[str]): Image names, e.g. :meth:`image_names`.

        Returns:
            dict[str, np.ndarray]: ``{name: (C,) bool}``, True for the
            positive classes; names without a valid vector are left out
            (:meth:`check` names them).

        Raises:
            FileNotFoundError: If ``cls_label_file`` does not exist.
            ValueError: If it cannot be read (both name the file).
        """
        return self._read_labels(names)[0]

    def check(self, names: Sequence[str]) -> List[Problem]:
        """Problems of the label file and of the label vectors of ``names``.

        Args:
            names (Sequence[str]): Image names, e.g. :meth:`image_names`.

        Returns:
            list[tuple[str, str]]: ``('label file', message)`` when
            ``cls_label_file`` cannot be read, else ``('label vector',
            message)`` per missing or malformed vector; messages name the
            file and the image.
        """
        try:
            return self._read_labels(names)[1]
        except Exception as e:  # an unreadable file of any kind
            return [('label file', str(e))]

    def _read_labels(
            self, names: Sequence[str]
    ) -> Tuple[Dict[str, np.ndarray], List[Problem]]:
        """The valid label vectors (bool) of ``names`` and the problems of
        the others; raises if the label file cannot be read."""
        cls_labels = self._load_cls_labels()
        labels, problems = {}, []
        for name in names:
            try:
                labels[name] = self._parse_label(name, cls_labels) > 0
            except (KeyError, ValueError) as e:
                problems.append(
                    ('label vector', e.args[0] if e.args else str(e)))
        return labels, problems

    def _load_cls_labels(self) -> dict:
        """The ``{name: multi-hot}`` dict of ``cls_label_file``."""
        # IRN's cls_labels.npy when only that exists: name it in messages
        self.cls_label_file = find_cls_label_file(self.cls_label_file,
                                                  self.backend_args)
        return load_cls_labels(self.cls_label_file, self.backend_args)

    def _parse_label(self, name: str, cls_labels: dict) -> np.ndarray:
        """Check and convert the label vector of one image."""
        if name not in cls_labels:
            raise KeyError(f"image '{name}' of {self.split_source} "
                           f"has no entry in '{self.cls_label_file}'")
        label = np.asarray(cls_labels[name], dtype=np.float32)
        if label.ndim != 1 or label.size != self.num_fg_classes:
            raise ValueError(
                f"label of '{name}' in '{self.cls_label_file}' has length "
                f'{label.size} (shape {label.shape}); expected length '
                f"{self.num_fg_classes}: metainfo['classes'] has "
                f'{self.num_fg_classes + 1} classes including background')
        return label

    def load_data_list(self) -> List[dict]:
        """Read the split, the labels and the optional masks.

        Returns:
            list[dict]: One info dict per image, with ``img_path``,
            ``seg_map_path`` (None without a mask), ``img_id``, ``gt_label``,
            ``label_map``, ``reduce_zero_label`` and ``seg_fields``.
        """
        names = self.image_names()
        cls_labels = self._load_cls_labels()
        seg_dir = self.seg_map_dir
        data_list, unlabelled = [], []
        for name in names:
            img_path = self._image_path(name)
            gt_label = self._parse_label(name, cls_labels)
            if not (gt_label > 0).any():
                unlabelled.append(name)
                continue
            seg_map_path = None
            if seg_dir:
                path = osp.join(seg_dir, name + self.seg_map_suffix)
                if fileio.exists(path, backend_args=self.backend_args):
                    seg_map_path = path
            data_list.append(
                self._data_info(
                    name, img_path, seg_map_path, gt_label=gt_label))
        if unlabelled and not data_list:
            raise ValueError(
                f'none of the {len(names)} image(s) of {self.split_source} '
                "has a positive class in "
                f"'{self.cls_label_file}' (e.g. "
                f'{unlabelled[:_MAX_NAMES_IN_LOG]}): nothing to train or test '
                'on')
        if unlabelled:
            print_log(
                f'{len(unlabelled)} image(s) of {self.split_source} have no '
                f'positive class and are skipped, e.g. '
                f'{unlabelled[:_MAX_NAMES_IN_LOG]}',
                logger='current',
                level=logging.WARNING)
        if self.subset_fraction is not None:
            data_list = self._take_subset(data_list)
        if self.skip_done_dir is not None:
            data_list = self._drop_done(data_list)
        return data_list

    def _serialize_data(self) -> tuple:
        """mmengine's serialization, also of an empty list.

        ``skip_done_dir`` leaves no image when every output exists (a
        finished run started again): an empty dataset, not a crash.
        """
        if self.data_list:
            return super()._serialize_data()
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)

    def _take_subset(self, data_list: List[dict]) -> List[dict]:
        """Keep a class-balanced ``subset_fraction`` of ``data_list``."""
        if not data_list:
            return data_list
        labels = np.stack([info['gt_label'] for info in data_list])
        kept = select_class_subset(labels, self.subset_fraction,
                                   self.subset_seed)
        print_log(
            f'subset_fraction={self.subset_fraction} (seed '
            f'{self.subset_seed}): kept {len(kept)} of {len(data_list)} '
            'images', logger='current')
        return [data_list[i] for i in kept]

    def _drop_done(self, data_list: List[dict]) -> List[dict]:
        """Drop images whose output already exists in ``skip_done_dir``."""
        todo = [
            info for info in data_list if not fileio.exists(
                osp.join(self.skip_done_dir,
                         info['img_id'] + self.skip_done_suffix),
                backend_args=self.backend_args)
        ]
        print_log(
            f'skip_done_dir {self.skip_done_dir}: skipped '
            f'{len(data_list) - len(todo)} finished image(s), '
            f'{len(todo)} left', logger='current')
        return todo

    def full_init(self) -> None:
        """Load the annotations, then index the images of each class."""
        if self._fully_initialized:
            return
        super().full_init()
        self._build_class_index()

    def _build_class_index(self) -> None:
        """Build the (N, C) label matrix and the image list of each class."""
        num_classes = self.num_fg_classes
        labels = [self.get_data_info(i)['gt_label'] for i in range(len(self))]
        self._label_matrix = (
            np.stack(labels) > 0 if labels else np.zeros(
                (0, num_classes), dtype=bool))
        self._class_members = [
            np.flatnonzero(self._label_matrix[:, c])
            for c in range(num_classes)
        ]
        if self.paired and not self.allow_self_pair:
            classes = self._metainfo['classes']
            for cls_id, members in enumerate(self._class_members):
                if members.size == 1:
                    name = self.get_data_info(int(members[0]))['img_id']
                    raise ValueError(
                        f"class '{classes[cls_id + 1]}' has a single image "
                        f"('{name}'), so it has no partner with "
                        'allow_self_pair=False')

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """In-place subset (see :class:`BaseDataset`), re-indexing classes."""
        super().get_subset_(indices)
        self._build_class_index()

    def get_subset(self, indices: Union[Sequence[int],
                                        int]) -> 'ImageLevelSegDataset':
        """Subset copy (see :class:`BaseDataset`), re-indexing classes."""
        subset = super().get_subset(indices)
        subset._build_class_index()
        return subset

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Class indices (into ``metainfo['classes']``) of image ``idx``."""
        return (np.flatnonzero(self._label_matrix[idx]) + 1).tolist()

    @force_full_init
    def sample_partner(self, idx: int) -> int:
        """Draw the partner of image ``idx`` for cross-image mining.

        One of the image's positive classes is chosen uniformly, then an
        image uniformly among all images with that class (``idx`` itself
        excluded when ``allow_self_pair`` is False). Uses numpy's global
        random state, which mmengine seeds in each data loader worker.

        Args:
            idx (int): Index of the query image.

        Returns:
            int: Index of the partner image.
        """
        positives = np.flatnonzero(self._label_matrix[idx])
        cls_id = positives[np.random.randint(positives.size)]
        members = self._class_members[cls_id]
        if self.allow_self_pair:
            return int(members[np.random.randint(members.size)])
        # Draw among the other members: skip the query's own position.
        own = int(np.searchsorted(members, idx))
        pick = np.random.randint(members.size - 1)
        return int(members[pick + (pick >= own)])

    def prepare_data(self, idx: int) -> Union[dict, List[dict], None]:
        """Run the pipeline on image ``idx`` (and on its partner if paired).

        Returns:
            dict | list[dict] | None: The pipeline output, a
            ``[query, partner]`` list when ``paired``, or None when a
            pipeline returned None (the base class then retries another
            index).
        """
        query = self._prepare_one(idx)
        if not self.paired or query is None:
            return query
        partner = self._prepare_one(self.sample_partner(idx))
        if partner is None:
            return None
        return [query, partner]

    def _prepare_one(self, idx: int) -> Optional[dict]:
        """Run the pipeline on one image; failures name the image file."""
        return run_pipeline_checked(self.pipeline, self.get_data_info(idx))
