"""CAM mIoU with a background-threshold sweep (the IRN protocol).

docs/en/method.md section 2.2 / IRN's ``eval_cam.py``: for each image, put
a constant background score ``t`` as channel 0 in front of the image's own
class maps (``high_res``), take the argmax, map channel i > 0 back to class id
``keys[i - 1] + 1`` (0 = background), and count, over all images, per class
the pixels of the intersection, the union, the prediction and the ground
truth, 255 ignored. Per-class IoU is ``TP / (TP + FP + FN)`` = intersection
/ union, mIoU the mean over classes that occur in the ground truth or the
prediction. IRN reports t = 0.15; here the counts are kept per threshold so
that the whole sweep and its best t are reported.
"""
import logging
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine import fileio
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ...fileio import (cam_label_map, cam_path, check_label_map,
                       format_threshold, load_cam, read_mask,
                       validate_cam_dict)
from .stage_writer import get_field, sample_name, to_numpy

# 0.05, 0.10, ..., 0.60: IRN's t = 0.15 and the range around it.
DEFAULT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))


def check_cam_and_mask(cam_dict: Dict[str, np.ndarray],
                       mask: np.ndarray,
                       num_classes: int,
                       key: str = 'high_res',
                       ignore_index: int = 255,
                       name: str = 'image') -> tuple:
    """Check that a CAM dict and its mask can be scored together.

    Args:
        cam_dict (dict): CAM dict with ``keys`` and ``key``.
        mask (np.ndarray): [H, W] ground-truth class ids.
        num_classes (int): Number of classes C, background included.
        key (str): Which CAM array to evaluate. Defaults to 'high_res'.
        ignore_index (int): Mask value that is not evaluated.
            Defaults to 255.
        name (str): Image name or file used in error messages.

    Returns:
        tuple: ``(cams, keys, mask)``: float32 [K, H, W], int64 [K] and
        int64 [H, W] arrays.

    Raises:
        ValueError: If the CAM and the mask differ in size, or a class id is
            out of range.
    """
    cams = np.asarray(cam_dict[key], dtype=np.float32)
    keys = np.asarray(cam_dict['keys'], dtype=np.int64)
    mask = np.asarray(mask).astype(np.int64)
    if cams.ndim != 3 or cams.shape[0] != len(keys):
        raise ValueError(f'{name}: "{key}" must be [K, H, W] with K = '
                         f'len(keys) = {len(keys)}, got {cams.shape}')
    if cams.shape[1:] != mask.shape:
        raise ValueError(f'{name}: "{key}" is {cams.shape[1:]} but the mask '
                         f'is {mask.shape}')
    if len(keys) and keys.max() + 1 >= num_classes:
        raise ValueError(f'{name}: class keys {keys.tolist()} do not fit '
                         f'{num_classes} classes (key + 1 < num_classes)')
    gt = mask[mask != ignore_index]
    if gt.size and (gt.min() < 0 or gt.max() >= num_classes):
        raise ValueError(f'{name}: mask values {np.unique(gt).tolist()} are '
                         f'outside [0, {num_classes}) and not ignore_index '
                         f'{ignore_index}')
    return cams, keys, mask


def label_areas(pred: np.ndarray, mask: np.ndarray, num_classes: int,
                ignore_index: int = 255) -> np.ndarray:
    """Per-class pixel counts of one label map, by mmseg's ``IoUMetric``.

    Every mIoU of the project is computed from these counts (summed over
    images) by :func:`class_iou_acc`: CAMs (the sweep), CAMs + CRF, walked
    labels, and (through ``IoUMetric`` itself) pseudo-labels and
    predictions.

    Args:
        pred (np.ndarray): [H, W] predicted class ids.
        mask (np.ndarray): [H, W] ground-truth class ids.
        num_classes (int): Number of classes C, background included.
        ignore_index (int): Mask value that is not evaluated.
            Defaults to 255.

    Returns:
        np.ndarray: int64 [4, C]: the pixels of intersection, union,
        prediction and ground truth per class.
    """
    counts = IoUMetric.intersect_and_union(
        torch.from_numpy(np.asarray(pred, dtype=np.int64)),
        torch.from_numpy(np.asarray(mask, dtype=np.int64)), num_classes,
        ignore_index)
    # histc counts in float32: exact for up to 2^24 pixels per image.
    return torch.stack(counts).round().long().numpy()


def class_iou_acc(areas: np.ndarray) -> tuple:
    """Per-class IoU and accuracy of summed counts, by mmseg's
    ``IoUMetric.total_area_to_metrics``.

    A class absent from both ground truth and prediction gets NaN (0 / 0),
    so that ``np.nanmean`` over classes is the mIoU of IRN's evaluation and
    of mmseg's ``IoUMetric``.

    Args:
        areas (np.ndarray): [..., 4, C] counts (see :func:`label_areas`).

    Returns:
        tuple: float64 ``(iou, acc)``, each [..., C].
    """
    areas = torch.from_numpy(np.asarray(areas, dtype=np.float64))
    flat = areas.reshape(-1, 4, areas.shape[-1])
    iou, acc = [], []
    for a in flat:
        m = IoUMetric.total_area_to_metrics(*a, metrics=['mIoU'])
        iou.append(m['IoU'])
        acc.append(m['Acc'])
    shape = tuple(areas.shape[:-2]) + (areas.shape[-1], )
    return (np.asarray(iou, np.float64).reshape(shape),
            np.asarray(acc, np.float64).reshape(shape))


def cam_areas(cam_dict: Dict[str, np.ndarray],
              mask: np.ndarray,
              num_classes: int,
              thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
              key: str = 'high_res',
              ignore_index: int = 255,
              name: str = 'image',
              refine: Optional[Callable[[np.ndarray, np.ndarray],
                                        np.ndarray]] = None) -> np.ndarray:
    """Per-class pixel counts of one image's CAM label maps, per threshold.

    Args:
        cam_dict (dict): CAM dict with ``keys`` and ``key`` (see
            :mod:`rpnet_mmseg.fileio.cam_format`).
        mask (np.ndarray): [H, W] ground-truth class ids.
        num_classes (int): Number of classes C, background included.
        thresholds (Sequence[float]): Background scores t.
            Defaults to 0.05, 0.10, ..., 0.60.
        key (str): Which CAM array to evaluate. Defaults to 'high_res'.
        ignore_index (int): Mask value that is not evaluated.
            Defaults to 255.
        name (str): Image name or file used in error messages.
        refine (callable, optional): ``refine(label, keys)`` returns the
            label map to count instead of ``label`` (e.g. a dense CRF on
            the image: CAM + CRF). Defaults to None.

    Returns:
        np.ndarray: int64 [T, 4, C]: per threshold and class, the pixels of
        intersection, union, prediction and ground truth.

    Raises:
        ValueError: See :func:`check_cam_and_mask`.
    """
    cams, keys, mask = check_cam_and_mask(cam_dict, mask, num_classes, key,
                                          ignore_index, name)
    areas = np.zeros((len(thresholds), 4, num_classes), np.int64)
    for i, t in enumerate(thresholds):
        pred = cam_label_map(cams, keys, t)
        if refine is not None:
            pred = np.asarray(refine(pred, keys), dtype=np.int64)
        areas[i] = label_areas(pred, mask, num_classes, ignore_index)
    return areas


def summarize_areas(areas: np.ndarray, thresholds: Sequence[float],
                    class_names: Sequence[str]) -> Dict[str, Any]:
    """Reduce accumulated pixel counts to the sweep and its best t.

    Args:
        areas (np.ndarray): [T, 4, C] counts (intersection, union,
            prediction, ground truth) summed over images.
        thresholds (Sequence[float]): The T background scores.
        class_names (Sequence[str]): The C class names.

    Returns:
        dict: ``thresholds``, ``miou`` (per threshold, fraction),
        ``best_index``, ``best_threshold``, ``best_miou``, ``class_names``,
        ``class_iou`` and ``class_acc`` (per class at the best t, NaN where
        undefined).

    Raises:
        ValueError: If no labelled pixel was counted.
    """
    ious, acc = class_iou_acc(areas)
    with_any = ~np.isnan(ious).all(axis=-1)
    if not with_any.any():
        raise ValueError('no labelled pixel was evaluated; the pixel counts '
                         'are empty')
    miou = np.full(len(thresholds), np.nan)
    miou[with_any] = np.nanmean(ious[with_any], axis=-1)
    best = int(np.nanargmax(miou))
    return {
        'thresholds': [float(t) for t in thresholds],
        'miou': miou.tolist(),
        'best_index': best,
        'best_threshold': float(thresholds[best]),
        'best_miou': float(miou[best]),
        'class_names': list(class_names),
        'class_iou': ious[best].tolist(),
        'class_acc': acc[best].tolist(),
    }


def _pct(value: float) -> str:
    """Format a fraction as a percentage with 2 decimals ('nan' kept)."""
    return 'nan' if np.isnan(value) else f'{value * 100:.2f}'


def format_sweep_tables(summary: Dict[str, Any]) -> str:
    """Format the sweep (t vs mIoU) and the per-class table at the best t.

    Args:
        summary (dict): Output of :func:`summarize_areas`.

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
    gt = get_field(sample, 'gt_sem_seg')
    if gt is None:
        return None
    return to_numpy(gt).squeeze(0).astype(np.int64)


@METRICS.register_module()
class CAMIoUMetric(BaseMetric):
    """CAM mIoU over a sweep of background thresholds (IRN's protocol).

    Scores either the CAM files ``cam_dir/NAME.npz`` (written by
    :class:`CAMWriter`; IRN's ``NAME.npy`` are read too), so that it evaluates
    exactly what later stages read, or, with ``cam_dir=None``, the model's
    own outputs in memory (the sample's ``high_res`` and ``cam_keys``), as
    mmseg's ``IoUMetric`` scores ``pred_sem_seg``: then
    ``val_evaluator = dict(type='CAMIoUMetric')`` with
    ``default_hooks.checkpoint.save_best='mIoU'`` watches CAM quality and
    keeps the best epoch during training, without any file. Each image's
    mask comes from the sample's ``gt_sem_seg`` if the pipeline loaded it,
    else from the palette indices of the PNG at ``seg_map_path``. See the
    module docstring for the protocol.

    Memory does not grow with the dataset: each rank keeps one running sum
    of the per-class counts per threshold ([T, 4, C], from mmseg's
    ``IoUMetric.intersect_and_union``), the names it scored, and its first
    image's counts (the only image that the distributed sampler's padding
    repeats), so ``results`` holds one entry per rank.

    Images without a mask stop the run at the first batch that has them,
    with an error listing them: evaluate a split whose masks exist.

    Args:
        cam_dir (str, optional): Directory of the CAM files. Defaults to
            None (score the model's outputs).
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
                 cam_dir: Optional[str] = None,
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

    def _model_cams(self, sample: Any, name: str,
                    shape: tuple) -> Dict[str, np.ndarray]:
        """The CAM dict of a sample's own outputs (``cam_dir=None``)."""
        keys, cams = get_field(sample, 'cam_keys'), get_field(
            sample, self.key)
        if keys is None or cams is None:
            raise ValueError(
                f'{name}: CAMIoUMetric(cam_dir=None) scores the model\'s '
                f'outputs, but the data sample has no "cam_keys" / '
                f'"{self.key}" field; is the model a CAM model in predict '
                'mode? Set cam_dir to score CAM files instead.')
        cam_dict = {
            'keys': to_numpy(keys, np.int64),
            self.key: to_numpy(cams, np.float32)
        }
        validate_cam_dict(cam_dict, name, image_shape=shape)
        return cam_dict

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Add the batch's per-class counts to this rank's running sums.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | SegDataSample]): Samples with
                ``img_id`` (or ``img_path``) and ``seg_map_path`` metainfo
                or a ``gt_sem_seg`` field, and with ``cam_keys`` and
                ``high_res`` when ``cam_dir`` is None.

        Raises:
            FileNotFoundError: If an image has no mask (all of the batch's
                are listed) or no CAM file.
            ValueError: If a CAM does not fit its mask.
        """
        masks, missing = [], []
        for sample in data_samples:
            name = sample_name(sample)
            mask = _gt_mask(sample)
            if mask is None:
                seg_path = get_field(sample, 'seg_map_path')
                if not seg_path or not fileio.exists(seg_path):
                    missing.append(name)
                    continue
                mask = read_mask(seg_path)
                check_label_map(mask, seg_path, get_field(sample, 'ori_shape'),
                                get_field(sample, 'img_path'))
            masks.append((sample, name, mask))
        if missing:
            raise FileNotFoundError(missing_masks_message(missing))
        for sample, name, mask in masks:
            if self.cam_dir is None:
                source = name
                cam_dict = self._model_cams(sample, name, mask.shape)
            else:
                source = cam_path(self.cam_dir, name)
                cam_dict = load_cam(
                    source, image_shape=mask.shape, required=(self.key, ))
            areas = cam_areas(cam_dict, mask, self.num_classes,
                              self.thresholds, self.key, self.ignore_index,
                              source)
            self._accumulate(name, areas)

    def _accumulate(self, name: str, areas: np.ndarray) -> None:
        """Add one image's counts to this rank's single ``results`` entry."""
        if not self.results:
            self.results.append({
                'areas': np.zeros_like(areas),
                'names': [],
                'first': {
                    name: areas
                }
            })
        state = self.results[0]
        state['areas'] += areas
        state['names'].append(name)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the ranks' counts, log the sweep, pick the best t.

        An image scored twice (the distributed sampler pads the last ranks
        with the dataset's first images, each the first image of a rank) is
        counted once.

        Args:
            results (list[dict]): One running sum per rank.

        Returns:
            dict: ``mIoU`` (best, in %), ``best_threshold`` and
            ``mIoU@<t>`` (in %) for each threshold.
        """
        if not results:
            raise ValueError('CAMIoUMetric evaluated no image')
        areas = np.sum([r['areas'] for r in results], axis=0)
        firsts = {}
        for r in results:
            firsts.update(r['first'])
        counts = Counter(n for r in results for n in r['names'])
        for name, count in counts.items():
            if count > 1 and name in firsts:
                areas = areas - (count - 1) * firsts[name]
            elif count > 1:
                print_log(
                    f'CAMIoUMetric: image {name} was scored {count} times',
                    logger=MMLogger.get_current_instance(),
                    level=logging.WARNING)
        summary = summarize_areas(areas, self.thresholds, self.class_names)
        print_log(
            f'\n{len(counts)} images\n' + format_sweep_tables(summary),
            logger=MMLogger.get_current_instance())
        metrics = {
            'mIoU': round(summary['best_miou'] * 100, 2),
            'best_threshold': summary['best_threshold'],
        }
        for t, miou in zip(self.thresholds, summary['miou']):
            metrics[f'mIoU@{format_threshold(t)}'] = round(miou * 100, 2)
        return metrics
