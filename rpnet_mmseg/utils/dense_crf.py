"""Fully connected CRF inference (Kraehenbuehl & Koltun, NIPS 2011).

One helper for every stage that refines a labelling with a dense CRF: the
relation labels of the IRN stage (unary from hard labels) and the
post-processing of the segmentation stage (unary from softmax
probabilities). The model is the one of DeepLab (Chen et al., ICLR 2015,
eq. 2-3): unary ``-log p`` plus two Potts pairwise kernels, an appearance
(bilateral) kernel ``w1 exp(-|p_i - p_j|^2 / 2 sxy_b^2 - |I_i - I_j|^2 /
2 srgb^2)`` and a smoothness (Gaussian) kernel ``w2 exp(-|p_i - p_j|^2 / 2
sxy_g^2)``, solved by ``num_iters`` mean-field iterations (pydensecrf).
"""
from typing import Optional

import numpy as np


def _check_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Return ``image`` as a C-contiguous (H, W, 3) uint8 array."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3), got {image.shape}')
    if image.shape[:2] != (height, width):
        raise ValueError(f'image is {image.shape[:2]} but the labelling is '
                         f'{(height, width)}')
    if image.dtype != np.uint8:
        raise TypeError(f'image must be uint8, got {image.dtype}')
    return np.ascontiguousarray(image)


def _mean_field(unary: np.ndarray, image: np.ndarray, num_iters: int,
                gaussian_sxy: float, gaussian_compat: float,
                bilateral_sxy: float, bilateral_srgb: float,
                bilateral_compat: float) -> np.ndarray:
    """Run mean-field inference from a (C, H*W) unary; (C, H, W) probs."""
    import pydensecrf.densecrf as dcrf

    height, width = image.shape[:2]
    num_classes = unary.shape[0]
    crf = dcrf.DenseCRF2D(width, height, num_classes)
    crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
    if gaussian_compat > 0:
        crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    if bilateral_compat > 0:
        crf.addPairwiseBilateral(
            sxy=bilateral_sxy,
            srgb=bilateral_srgb,
            rgbim=image,
            compat=bilateral_compat)
    q = crf.inference(num_iters)
    return np.asarray(q, dtype=np.float32).reshape(num_classes, height,
                                                   width)


def dense_crf(image: np.ndarray,
              probs: np.ndarray,
              num_iters: int = 10,
              gaussian_sxy: float = 1.0,
              gaussian_compat: float = 3.0,
              bilateral_sxy: float = 67.0,
              bilateral_srgb: float = 3.0,
              bilateral_compat: float = 4.0,
              clip: float = 1e-5) -> np.ndarray:
    """Refine class probabilities with a dense CRF.

    The defaults are DeepLab's post-processing (10 iterations, Gaussian
    sxy 1 compat 3, bilateral sxy 67 srgb 3 compat 4).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        probs (np.ndarray): (C, H, W) class probabilities (e.g. a softmax);
            the unary is ``-log(max(probs, clip))``.
        num_iters (int): Mean-field iterations. Defaults to 10.
        gaussian_sxy (float): Spatial std of the smoothness kernel.
        gaussian_compat (float): Weight of the smoothness kernel (0 drops
            it).
        bilateral_sxy (float): Spatial std of the appearance kernel.
        bilateral_srgb (float): Colour std of the appearance kernel.
        bilateral_compat (float): Weight of the appearance kernel (0 drops
            it).
        clip (float): Smallest probability before the log. Defaults to 1e-5.

    Returns:
        np.ndarray: (C, H, W) float32 marginals after inference; their argmax
        over axis 0 is the refined labelling.
    """
    probs = np.asarray(probs, dtype=np.float32)
    if probs.ndim != 3:
        raise ValueError(f'probs must be (C, H, W), got {probs.shape}')
    if num_iters < 0:
        raise ValueError(f'num_iters must be >= 0, got {num_iters}')
    num_classes, height, width = probs.shape
    image = _check_image(image, height, width)
    unary = -np.log(np.clip(probs, clip, 1.0)).reshape(num_classes, -1)
    return _mean_field(unary, image, num_iters, gaussian_sxy,
                       gaussian_compat, bilateral_sxy, bilateral_srgb,
                       bilateral_compat)


def dense_crf_labels(image: np.ndarray,
                     labels: np.ndarray,
                     num_classes: int,
                     gt_prob: float = 0.7,
                     ignore_index: Optional[int] = None,
                     num_iters: int = 10,
                     gaussian_sxy: float = 3.0,
                     gaussian_compat: float = 3.0,
                     bilateral_sxy: float = 50.0,
                     bilateral_srgb: float = 5.0,
                     bilateral_compat: float = 10.0) -> np.ndarray:
    """Refine a hard labelling with a dense CRF (IRN's relation labels).

    Each pixel's unary puts probability ``gt_prob`` on its label and spreads
    the rest uniformly over the other classes; pixels equal to
    ``ignore_index`` get a uniform unary. The defaults are IRN's (10
    iterations, gt_prob 0.7, Gaussian sxy 3 compat 3, bilateral sxy 50
    srgb 5 compat 10).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        labels (np.ndarray): (H, W) integer labels in ``[0, num_classes)``
            (or ``ignore_index``).
        num_classes (int): Number of labels, >= 2.
        gt_prob (float): Confidence in the given label, in (0, 1).
        ignore_index (int, optional): Label value meaning "unknown".
        num_iters, gaussian_sxy, gaussian_compat, bilateral_sxy,
            bilateral_srgb, bilateral_compat: As in :func:`dense_crf`.

    Returns:
        np.ndarray: (H, W) int64 refined labels (argmax of the marginals).
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'labels must be (H, W), got {labels.shape}')
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}')
    if not 0 < gt_prob < 1:
        raise ValueError(f'gt_prob must be in (0, 1), got {gt_prob}')
    unknown = (labels == ignore_index) if ignore_index is not None else \
        np.zeros(labels.shape, bool)
    known = labels[~unknown]
    if known.size and (known.min() < 0 or known.max() >= num_classes):
        raise ValueError(f'labels must be in [0, {num_classes}) or '
                         f'{ignore_index}, got values {np.unique(known)}')
    height, width = labels.shape
    image = _check_image(image, height, width)
    probs = np.full((num_classes, height, width),
                    (1.0 - gt_prob) / (num_classes - 1), np.float32)
    rows, cols = np.nonzero(~unknown)
    probs[labels[rows, cols].astype(np.int64), rows, cols] = gt_prob
    probs[:, unknown] = 1.0 / num_classes
    unary = -np.log(probs).reshape(num_classes, -1)
    q = _mean_field(unary, image, num_iters, gaussian_sxy, gaussian_compat,
                    bilateral_sxy, bilateral_srgb, bilateral_compat)
    return q.argmax(axis=0)
