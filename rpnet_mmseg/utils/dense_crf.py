"""Fully connected CRF inference (Kraehenbuehl & Koltun, NIPS 2011).

The one dense-CRF module of the package. The model is the one of DeepLab
(Chen et al., ICLR 2015, eq. 2-3): a unary plus two Potts pairwise kernels,
an appearance (bilateral) kernel ``w1 exp(-|p_i - p_j|^2 / 2 sxy_b^2 -
|I_i - I_j|^2 / 2 srgb^2)`` and a smoothness (Gaussian) kernel ``w2
exp(-|p_i - p_j|^2 / 2 sxy_g^2)``, solved by ``num_iters`` mean-field
iterations (pydensecrf). Two recipes, the only CRF defaults of the package:

- :data:`IRN_CRF_PARAMS`, IRN's relation labels (``cam_to_ir_label``): the
  unary of a hard labelling; also IRNet's optional pseudo-label refinement
  and the CAM + CRF of ``tools/eval_cams.py``;
- :data:`DEEPLAB_CRF_PARAMS`, DeepLab's post-processing: the unary of
  softmax probabilities (``DenseCRFPostProcessor``).

:func:`crf_relabel` is what every stage calls: class scores of an image in,
the CRF-refined argmax as class ids out. :func:`dense_crf` and
:func:`dense_crf_labels` are the two unaries' inference.
"""
from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = [
    'IRN_CRF_PARAMS', 'DEEPLAB_CRF_PARAMS', 'merge_crf_params', 'dense_crf',
    'dense_crf_labels', 'crf_relabel'
]

# A recipe's lines: iterations (and unary), the smoothness (Gaussian)
# kernel, the appearance (bilateral) kernel.
# IRN's relation-label CRF (misc/imutils.crf_inference_label): unary from
# hard labels with confidence gt_prob.
IRN_CRF_PARAMS = dict(
    num_iters=10, gt_prob=0.7,
    gaussian_sxy=3.0, gaussian_compat=3.0,
    bilateral_sxy=50.0, bilateral_srgb=5.0, bilateral_compat=10.0)

# DeepLab's post-processing CRF (Chen et al., ICLR 2015): unary -log p.
DEEPLAB_CRF_PARAMS = dict(
    num_iters=10,
    gaussian_sxy=1.0, gaussian_compat=3.0,
    bilateral_sxy=67.0, bilateral_srgb=3.0, bilateral_compat=4.0)

UNARIES = ('labels', 'probs')


def merge_crf_params(recipe: Mapping,
                     overrides: Optional[Mapping] = None) -> dict:
    """A recipe's CRF parameters with some of them replaced.

    Args:
        recipe (Mapping): :data:`IRN_CRF_PARAMS` or
            :data:`DEEPLAB_CRF_PARAMS`.
        overrides (Mapping, optional): Any of the recipe's parameters.

    Returns:
        dict: Every parameter of the recipe, in its order.

    Raises:
        KeyError: On a parameter the recipe does not have (names it).
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(recipe))
    if unknown:
        raise KeyError(f'unknown CRF parameter(s) {unknown}; the CRF takes '
                       f'{sorted(recipe)}')
    return dict(recipe, **overrides)


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
              clip: float = 1e-5,
              **params: float) -> np.ndarray:
    """Refine class probabilities with a dense CRF (DeepLab's unary).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        probs (np.ndarray): (C, H, W) class probabilities (e.g. a softmax);
            the unary is ``-log(max(probs, clip))``.
        clip (float): Smallest probability before the log. Defaults to 1e-5.
        **params (float): Any of :data:`DEEPLAB_CRF_PARAMS` (the defaults):
            ``num_iters`` (mean-field iterations), ``gaussian_sxy`` /
            ``gaussian_compat`` (smoothness kernel's spatial std and weight;
            weight 0 drops it), ``bilateral_sxy`` / ``bilateral_srgb`` /
            ``bilateral_compat`` (appearance kernel's spatial and colour std
            and weight; weight 0 drops it).

    Returns:
        np.ndarray: (C, H, W) float32 marginals after inference; their argmax
        over axis 0 is the refined labelling.
    """
    params = merge_crf_params(DEEPLAB_CRF_PARAMS, params)
    probs = np.asarray(probs, dtype=np.float32)
    if probs.ndim != 3:
        raise ValueError(f'probs must be (C, H, W), got {probs.shape}')
    if params['num_iters'] < 0:
        raise ValueError(f'num_iters must be >= 0, got {params["num_iters"]}')
    num_classes, height, width = probs.shape
    image = _check_image(image, height, width)
    unary = -np.log(np.clip(probs, clip, 1.0)).reshape(num_classes, -1)
    return _mean_field(unary, image, **params)


def dense_crf_labels(image: np.ndarray,
                     labels: np.ndarray,
                     num_classes: int,
                     ignore_index: Optional[int] = None,
                     **params: float) -> np.ndarray:
    """Refine a hard labelling with a dense CRF (IRN's unary).

    Each pixel's unary puts probability ``gt_prob`` on its label and spreads
    the rest uniformly over the other classes; pixels equal to
    ``ignore_index`` get a uniform unary.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        labels (np.ndarray): (H, W) integer labels in ``[0, num_classes)``
            (or ``ignore_index``).
        num_classes (int): Number of labels, >= 2.
        ignore_index (int, optional): Label value meaning "unknown".
        **params (float): Any of :data:`IRN_CRF_PARAMS` (the defaults):
            ``gt_prob`` (confidence in the given label, in (0, 1)) and the
            kernel parameters of :func:`dense_crf`.

    Returns:
        np.ndarray: (H, W) int64 refined labels (argmax of the marginals).
    """
    params = merge_crf_params(IRN_CRF_PARAMS, params)
    gt_prob = params.pop('gt_prob')
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
    q = _mean_field(unary, image, **params)
    return q.argmax(axis=0)


def _channel_of(labels: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
    """Channel index of each pixel's class id; raises on other values."""
    lut = np.full(int(class_ids.max()) + 1, -1, np.int64)
    lut[class_ids] = np.arange(class_ids.size)
    values = np.asarray(labels).astype(np.int64)
    outside = (values < 0) | (values >= lut.size)
    channels = lut[np.where(outside, 0, values)]
    if (outside | (channels < 0)).any():
        raise ValueError(f'the labelling has values '
                         f'{np.unique(values).tolist()} outside class_ids '
                         f'{class_ids.tolist()}')
    return channels


def crf_relabel(image: np.ndarray,
                scores: np.ndarray,
                class_ids: Optional[Sequence[int]] = None,
                unary: str = 'labels',
                **params: float) -> np.ndarray:
    """Relabel an image by a dense CRF: class scores in, class ids out.

    The CRF's classes are those of the scores' channels, e.g. the classes
    present in the image (background and its image-level classes). Callers:
    IRN's relation labels (scores ``[bg score, CAMs]``), IRNet's
    pseudo-label refinement and ``tools/eval_cams.py``'s CAM + CRF (a hard
    labelling), and ``CRFEncoderDecoder`` (softmax over every class).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        scores (np.ndarray): (K, H, W) scores of the K classes, or an
            (H, W) hard labelling whose values are in ``class_ids`` (its
            one-hot scores; ``unary='labels'`` only).
        class_ids (Sequence[int], optional): (K, ) distinct class id of each
            channel, e.g. ``[0] + (keys + 1)``. Defaults to None:
            ``0 .. K-1``.
        unary (str): ``'labels'`` (IRN): the unary of the scores' argmax,
            :func:`dense_crf_labels`, defaults :data:`IRN_CRF_PARAMS`.
            ``'probs'`` (DeepLab): the scores are probabilities,
            :func:`dense_crf`, defaults :data:`DEEPLAB_CRF_PARAMS`.
            Defaults to 'labels'.
        **params (float): CRF parameters overriding the unary's recipe.

    Returns:
        np.ndarray: (H, W) int64 ``class_ids[argmax of the CRF
        marginals]``. With one class there is nothing to refine: a
        labelling comes back as it is, scores give ``class_ids[0]``.
    """
    if unary not in UNARIES:
        raise ValueError(f'unary must be one of {UNARIES}, got {unary!r}')
    scores = np.asarray(scores)
    if scores.ndim not in (2, 3):
        raise ValueError('scores must be (K, H, W) or an (H, W) labelling, '
                         f'got {scores.shape}')
    if class_ids is None:
        if scores.ndim == 2:
            raise ValueError('a labelling needs its class_ids')
        class_ids = np.arange(scores.shape[0])
    class_ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
    if class_ids.size == 0 or class_ids.min() < 0 or \
            np.unique(class_ids).size != class_ids.size:
        raise ValueError('class_ids must be distinct ids >= 0, got '
                         f'{class_ids.tolist()}')
    num_classes = class_ids.size
    if scores.ndim == 2:
        if unary != 'labels':
            raise ValueError(f"unary={unary!r} needs (K, H, W) scores, got "
                             f'an (H, W) labelling')
        channels = _channel_of(scores, class_ids)
        if num_classes == 1:
            return scores
    else:
        if scores.shape[0] != num_classes:
            raise ValueError(f'{scores.shape[0]} score channels for '
                             f'{num_classes} class_ids')
        if num_classes == 1:
            return np.full(scores.shape[1:], class_ids[0], np.int64)
        if unary == 'probs':
            return class_ids[dense_crf(image, scores, **params).argmax(0)]
        channels = scores.argmax(axis=0)
    return class_ids[dense_crf_labels(image, channels, num_classes,
                                      **params)]
