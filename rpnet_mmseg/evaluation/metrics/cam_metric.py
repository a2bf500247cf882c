"""CAM mIoU with a background-threshold sweep (the IRN protocol).

METHOD.md section 2 / IRN's ``eval_cam.py``: for each image, put a constant
background score ``t`` as channel 0 in front of the image's own class maps
(``high_res``), take the argmax, map channel i > 0 back to class id
``keys[i - 1] + 1`` (0 = background), and accumulate a confusion matrix over
all classes against the ground-truth mask, 255 ignored. Per-class IoU is
``TP / (TP + FP + FN)``, mIoU the mean over classes that occur in the ground
truth or the prediction. IRN reports t = 0.15; here one confusion matrix is
kept per threshold so that the whole sweep and its best t are reported.
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine import fileio
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ..cam_io import cam_path, load_cam, read_mask
from .cam_writer import sample_name

# 0.05, 0.10, ..., 0.60: IRN's t = 0.15 and the range around it.
DEFAULT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))


def format_threshold(t: float) -> str:
    """Format a threshold for metric names: 0.1 -> '0.10', 0.125 -> '0.125'.

    Args:
        t (float): Threshold.

    Returns:
        str: The formatted threshold.
    """
    return f'{t:.2f}' if round(t, 2) == t else f'{t:g}'


def cam_label_map(cams: np.ndarray, keys: np.ndarray,
                  threshold: float) -> np.ndarray:
    """Turn an image's class maps into a label map with a background score.

    Equivalent to IRN's ``argmax(pad(cams, t as channel 0))`` followed by
    ``pad(keys + 1)[argmax]``: argmax returns the first maximum, so a pixel
    whose best class score equals ``t`` is background.

    Args:
        cams (np.ndarray): [K, H, W] class maps, normalised to [0, 1].
        keys (np.ndarray): [K] 0-based foreground class indices.
        threshold (float): The constant background score t.

    Returns:
        np.ndarray: int64 [H, W] class ids, 0 = background, key + 1 else.
    """
    if len(keys) == 0:
        return np.zeros(cams.shape[1:], dtype=np.int64)
    labels = np.asarray(keys, dtype=np.int64)[cams.argmax(axis=0)] + 1
    # Compare in the CAM's dtype, as IRN does after padding t into the array.
    t = np.asarray(threshold, dtype=cams.dtype)
    return np.where(cams.max(axis=0) > t, labels, 0)


def cam_confusion(cam_dict: Dict[str, np.ndarray],
                  mask: np.ndarray,
                  num_classes: int,
                  thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                  key: str = 'high_res',
                  ignore_index: int = 255,
                  name: str = 'image') -> np.ndarray:
    """Confusion matrices of one image's CAM label maps, one per threshold.

    Args:
        cam_dict (dict): CAM dict with ``keys`` and ``key`` (see
            :mod:`rpnet_mmseg.evaluation.cam_io`).
        mask (np.ndarray): [H, W] ground-truth class ids.
        num_classes (int): Number of classes C, background included.
        thresholds (Sequence[float]): Background scores t.
            Defaults to 0.05, 0.10, ..., 0.60.
        key (str): Which CAM array to evaluate. Defaults to 'high_res'.
        ignore_index (int): Mask value that is not evaluated.
            Defaults to 255.
        name (str): Image name or file used in error messages.

    Returns:
        np.ndarray: int64 [T, C, C], entry [t, i, j] counts pixels of ground
        truth i predicted as j at threshold t.

    Raises:
        ValueError: If the CAM and the mask differ in size, or a class id is
            out of range.
    """
    cams = np.asarray(cam_dict[key], dtype=np.float32)
    keys = np.asarray(cam_dict['keys'], dtype=np.int64)
    mask = np.asarray(mask)
    if cams.ndim != 3 or cams.shape[0] != len(keys):
        raise ValueError(f'{name}: "{key}" must be [K, H, W] with K = '
                         f'len(keys) = {len(keys)}, got {cams.shape}')
    if cams.shape[1:] != mask.shape:
        raise ValueError(f'{name}: "{key}" is {cams.shape[1:]} but the mask '
                         f'is {mask.shape}')
    if len(keys) and keys.max() + 1 >= num_classes:
        raise ValueError(f'{name}: class keys {keys.tolist()} do not fit '
                         f'{num_classes} classes (key + 1 < num_classes)')
    valid = mask != ignore_index
    gt = mask[valid].astype(np.int64)
    if gt.size and (gt.min() < 0 or gt.max() >= num_classes):
        raise ValueError(f'{name}: mask values {np.unique(gt).tolist()} are '
                         f'outside [0, {num_classes}) and not ignore_index '
                         f'{ignore_index}')
    conf = np.zeros((len(thresholds), num_classes, num_classes), np.int64)
    for i, t in enumerate(thresholds):
        pred = cam_label_map(cams, keys, t)[valid]
        conf[i] = np.bincount(
            gt * num_classes + pred,
            minlength=num_classes**2).reshape(num_classes, num_classes)
    return conf


def iou_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Per-class IoU from confusion matrices.

    IoU = TP / (TP + FP + FN) = diag / (row sum + column sum - diag). A class
    absent from both ground truth and prediction gets NaN (0 / 0), so that
    ``np.nanmean`` over classes is the mIoU of IRN's evaluation and of
    mmseg's ``IoUMetric``.

    Args:
        conf (np.ndarray): [..., C, C] confusion matrices (rows: ground
            truth, columns: prediction).

    Returns:
        np.ndarray: float64 [..., C] per-class IoU.
    """
    conf = np.asarray(conf, dtype=np.float64)
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    union = conf.sum(axis=-1) + conf.sum(axis=-2) - tp
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def summarize_sweep(conf: np.ndarray, thresholds: Sequence[float],
                    class_names: Sequence[str]) -> Dict[str, Any]:
    """Reduce accumulated confusion matrices to the sweep and its best t.

    Args:
        conf (np.ndarray): [T, C, C] confusion matrices summed over images.
        thresholds (Sequence[float]): The T background scores.
        class_names (Sequence[str]): The C class names.

    Returns:
        dict: ``thresholds``, ``miou`` (per threshold, fraction),
        ``best_index``, ``best_threshold``, ``best_miou``, ``class_names``,
        ``class_iou`` and ``class_acc`` (per class at the best t, NaN where
        undefined).
    """
    ious = iou_from_confusion(conf)
    with np.errstate(invalid='ignore'):
        with_any = ~np.isnan(ious).all(axis=-1)
        miou = np.full(len(thresholds), np.nan)
        miou[with_any] = np.nanmean(ious[with_any], axis=-1)
    if not with_any.any():
        raise ValueError('no labelled pixel was evaluated; the confusion '
                         'matrices are empty')
    best = int(np.nanargmax(miou))
    gt_pixels = conf[best].sum(axis=-1).astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        acc = np.where(gt_pixels > 0,
                       np.diagonal(conf[best]) / np.maximum(gt_pixels, 1),
                       np.nan)
    return {
        'thresholds': [float(t) for t in thresholds],
        'miou': miou.tolist(),
        'best_index': best,
        'best_threshold': float(thresholds[best]),
        'best_miou': float(miou[best]),
        'class_names': list(class_names),
        'class_iou': ious[best].tolist(),
        'class_acc': acc.tolist(),
    }


def _pct(value: float) -> str:
    """Format a fraction as a percentage with 2 decimals ('nan' kept)."""
    return 'nan' if np.isnan(value) else f'{value * 100:.2f}'


def format_sweep_tables(summary: Dict[str, Any]) -> str:
    """Format the sweep (t vs mIoU) and the per-class table at the best t.

    Args:
        summary (dict): Output of :func:`summarize_sweep`.

    Returns:
        str: Two PrettyTable tables, as mmseg's ``IoUMetric`` prints them.
    """
    sweep = PrettyTable()
    best = summary['best_index']
    sweep.add_column('bg threshold', [
        format_threshold(t) + (' *' if i == best else '')
        for i, t in enumerate(summary['thresholds'])
    ])
    sweep.add_column('mIoU', [_pct(v) for v in summary['miou']])
    classes = PrettyTable()
    classes.add_column('Class', summary['class_names'])
    classes.add_column('IoU', [_pct(v) for v in summary['class_iou']])
    classes.add_column('Acc', [_pct(v) for v in summary['class_acc']])
    return (f'CAM mIoU over background thresholds (* = best):\n'
            f'{sweep.get_string()}\n'
            f'per class results at t = '
            f'{format_threshold(summary["best_threshold"])}:\n'
            f'{classes.get_string()}')


def missing_masks_message(names: Sequence[str], shown: int = 10) -> str:
    """Explain that some images have no ground-truth mask.

    Args:
        names (Sequence[str]): Names of the images without a mask.
        shown (int): How many names to list. Defaults to 10.

    Returns:
        str: The error message.
    """
    listed = ', '.join(names[:shown])
    more = f', ... ({len(names) - shown} more)' if len(names) > shown else ''
    return (f'{len(names)} image(s) have no ground-truth mask: {listed}'
            f'{more}. CAM mIoU needs pixel masks: evaluate a split whose '
            f'masks exist (e.g. ImageSets/Segmentation/train_dev.txt or '
            f'val_dev.txt), not one whose masks are held back (train, val).')


def _gt_mask(sample: Any) -> Optional[np.ndarray]:
    """Return a sample's ``gt_sem_seg`` as [H, W] array, or None."""
    gt = sample.get('gt_sem_seg')
    if gt is None:
        return None
    data = gt['data'] if isinstance(gt, dict) else gt.data
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    return np.asarray(data).squeeze(0).astype(np.int64)


@METRICS.register_module()
class CAMIoUMetric(BaseMetric):
    """CAM mIoU over a sweep of background thresholds (IRN's protocol).

    Reads each image's CAM file ``cam_dir/NAME.npy`` (written by
    :class:`CAMWriter`, or by any IRN-compatible tool) and its mask, from the
    sample's ``gt_sem_seg`` if the pipeline loaded it, else from the palette
    indices of the PNG at ``seg_map_path``. The model's outputs themselves
    are not used, so the metric evaluates exactly what later stages read.
    See the module docstring for the protocol.

    Images without a mask stop the run at the first batch that has them,
    with an error listing them: evaluate a split whose masks exist.

    Args:
        cam_dir (str): Directory of the CAM files.
        thresholds (Sequence[float]): Background scores t to sweep.
            Defaults to 0.05, 0.10, ..., 0.60.
        key (str): CAM array to evaluate, at the mask's size.
            Defaults to 'high_res'.
        num_classes (int, optional): Number of classes, background included.
            Defaults to None (``len(dataset_meta['classes'])``).
        ignore_index (int): Mask value that is not evaluated.
            Defaults to 255.
        collect_device (str): Device used to collect results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the returned metric names.
            Defaults to None.
    """

    def __init__(self,
                 cam_dir: str,
                 thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                 key: str = 'high_res',
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        if len(thresholds) == 0:
            raise ValueError('thresholds must not be empty')
        self.cam_dir = cam_dir
        self.thresholds = tuple(float(t) for t in thresholds)
        self.key = key
        self._num_classes = num_classes
        self.ignore_index = ignore_index

    @property
    def num_classes(self) -> int:
        """int: Classes evaluated, from the argument or ``dataset_meta``."""
        if self._num_classes is not None:
            return self._num_classes
        if self.dataset_meta and self.dataset_meta.get('classes'):
            return len(self.dataset_meta['classes'])
        raise ValueError('CAMIoUMetric needs num_classes or dataset_meta '
                         'with "classes"')

    @property
    def class_names(self) -> List[str]:
        """list[str]: Class names for the table (indices when unknown)."""
        classes = (self.dataset_meta or {}).get('classes')
        if classes and len(classes) == self.num_classes:
            return list(classes)
        return [str(i) for i in range(self.num_classes)]

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Accumulate one [T, C, C] confusion matrix per image.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | SegDataSample]): Samples with
                ``img_id`` (or ``img_path``) and ``seg_map_path`` metainfo
                or a ``gt_sem_seg`` field.

        Raises:
            FileNotFoundError: If an image has no mask (all of the batch's
                are listed) or no CAM file.
            ValueError: If a CAM file does not fit its mask.
        """
        masks, missing = [], []
        for sample in data_samples:
            name = sample_name(sample)
            mask = _gt_mask(sample)
            if mask is None:
                seg_path = sample.get('seg_map_path')
                if not seg_path or not fileio.exists(seg_path):
                    missing.append(name)
                    continue
                mask = read_mask(seg_path)
            masks.append((name, mask))
        if missing:
            raise FileNotFoundError(missing_masks_message(missing))
        for name, mask in masks:
            path = cam_path(self.cam_dir, name)
            cam_dict = load_cam(
                path, image_shape=mask.shape, required=(self.key, ))
            self.results.append(
                cam_confusion(cam_dict, mask, self.num_classes,
                              self.thresholds, self.key, self.ignore_index,
                              path))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Sum the confusion matrices, log the sweep, pick the best t.

        Args:
            results (list[np.ndarray]): [T, C, C] per image, all ranks.

        Returns:
            dict: ``mIoU`` (best, in %), ``best_threshold`` and
            ``mIoU@<t>`` (in %) for each threshold.
        """
        if not results:
            raise ValueError('CAMIoUMetric evaluated no image')
        summary = summarize_sweep(
            np.sum(results, axis=0), self.thresholds, self.class_names)
        print_log(
            '\n' + format_sweep_tables(summary),
            logger=MMLogger.get_current_instance())
        metrics = {
            'mIoU': round(summary['best_miou'] * 100, 2),
            'best_threshold': summary['best_threshold'],
        }
        for t, miou in zip(self.thresholds, summary['miou']):
            metrics[f'mIoU@{format_threshold(t)}'] = round(miou * 100, 2)
        return metrics
