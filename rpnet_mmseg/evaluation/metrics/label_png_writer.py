"""Write a label map per image (pseudo-labels, predictions) as a PNG."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmseg.registry import METRICS

from ...fileio import LABEL_SUFFIX, save_label_png
from .stage_writer import StageWriter, get_field, to_numpy


@METRICS.register_module()
class LabelPNGWriter(StageWriter):
    """Save a label field of each sample as ``output_dir/NAME.png``.

    The PNG is a palette image whose pixel values are the class ids (VOC's
    ``SegmentationClass`` format; see :mod:`rpnet_mmseg.fileio.label_format`):
    0 = background, 1..C-1 the classes, 255 = undecided. It serves the IRN
    pseudo-label stage (``field='pred_sem_seg'`` of the IRN model) and the
    segmentation predictions. Writing is atomic, resumable and
    provenance-checked as for every :class:`StageWriter`.

    Args:
        output_dir (str): Directory of the PNGs (local disk).
        field (str): Data field holding the label map, a ``PixelData`` (or
            tensor) [1, H, W] or [H, W]. Defaults to 'pred_sem_seg'.
        palette (Sequence[Sequence[int]], optional): RGB colour of ids 0,
            1, ... Defaults to None: the dataset's ``palette`` when the
            evaluator knows it, else VOC's colour map.
        ignore_index (int): The id of undecided pixels. Defaults to 255.
        on_stale (str): ``'error'`` (default) or ``'overwrite'`` (see
            :class:`StageWriter`).
        stage (str, optional): Stage name recorded in the folder. Defaults
            to None ('LabelPNGWriter').
        collect_device (str): Device used to collect the per-image counts
            across ranks. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the returned metric names.
            Defaults to None.
    """
    output_suffix = LABEL_SUFFIX

    def __init__(self,
                 output_dir: str,
                 field: str = 'pred_sem_seg',
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 ignore_index: int = 255,
                 on_stale: str = 'error',
                 stage: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(output_dir, on_stale, stage, collect_device, prefix,
                         **kwargs)
        self.field = field
        self.palette = None if palette is None else [
            list(map(int, c)) for c in palette
        ]
        self.ignore_index = ignore_index

    def settings(self) -> Dict[str, Any]:
        """The field written, its palette and its undecided id."""
        return dict(super().settings(), field=self.field,
                    palette=self.colours, ignore_index=self.ignore_index)

    @property
    def colours(self) -> Optional[List[List[int]]]:
        """The palette written into the PNGs (None: VOC's colour map)."""
        if self.palette is not None:
            return self.palette
        palette = (self.dataset_meta or {}).get('palette')
        return [list(map(int, c)) for c in palette] if palette else None

    def write_sample(self, sample: Any, name: str, path: str) -> None:
        """Validate one sample's label map and save it atomically.

        Raises:
            ValueError: If the field is missing, not a [H, W] integer map
                of the image's size, or holds ids outside the classes
                (the message names the image).
        """
        value = get_field(sample, self.field)
        if value is None:
            raise ValueError(f'{name}: the data sample has no '
                             f'"{self.field}" field to write')
        label = to_numpy(value)
        if label.ndim == 3 and label.shape[0] == 1:
            label = label[0]
        if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
            raise ValueError(f'{name}: "{self.field}" must be an integer '
                             f'label map [1, H, W] or [H, W], got shape '
                             f'{label.shape} dtype {label.dtype}')
        ori_shape = get_field(sample, 'ori_shape')
        if ori_shape is not None and label.shape != tuple(ori_shape[:2]):
            raise ValueError(f'{name}: "{self.field}" is {label.shape} but '
                             f'the image is {tuple(ori_shape[:2])}')
        classes = (self.dataset_meta or {}).get('classes')
        limit = len(classes) if classes else 256
        bad = (label < 0) | ((label >= limit) & (label != self.ignore_index))
        if bad.any():
            raise ValueError(f'{name}: "{self.field}" has ids '
                             f'{np.unique(label[bad]).tolist()} outside '
                             f'0..{limit - 1} and not {self.ignore_index}')
        save_label_png(path, label, self.colours)
