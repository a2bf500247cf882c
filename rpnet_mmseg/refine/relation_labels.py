"""IRN's relation labels: confident foreground and background from CAMs.

IRN (Ahn, Cho, Kwak, CVPR 2019, section 3.3; release ``cam_to_ir_label``)
trains its boundary branch on pixel pairs whose classes are known. They come
from the CAMs of the image's classes by two dense-CRF-refined argmaxes
(docs/en/method.md section 3.1):

- foreground: argmax over ``[fg_thresh, CAM_1, ..., CAM_K]`` (a constant
  background score 0.30), refined by a dense CRF;
- background: argmax over ``[bg_thresh, CAM_1, ..., CAM_K]`` (0.05),
  refined by a dense CRF;
- a pixel is its class where the foreground map says foreground, background
  (0) where both maps say background, and unsure (255) elsewhere.

The CRF is IRN's (:data:`rpnet_mmseg.utils.IRN_CRF_PARAMS`, run by
:func:`rpnet_mmseg.utils.crf_relabel`): unary from the hard labels
(``gt_prob`` 0.7), a Gaussian kernel (sxy 3, compat 3) and a bilateral
kernel (sxy 50, srgb 5, compat 10), 10 mean-field iterations.
:func:`make_relation_label` labels one image; :func:`write_relation_labels`
a whole split (``tools/make_relation_labels.py``).
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.dense_crf import IRN_CRF_PARAMS, crf_relabel, merge_crf_params


def make_relation_label(image: np.ndarray,
                        cam_dict: Mapping[str, np.ndarray],
                        fg_thresh: float = 0.30,
                        bg_thresh: float = 0.05,
                        ignore_index: int = 255,
                        **crf: float) -> np.ndarray:
    """The relation label of one image (IRN's confident fg / bg / unsure).

    Args:
        image (np.ndarray): (H, W, 3) uint8 image.
        cam_dict (Mapping): The image's CAM dict: ``keys`` (K, ) 0-based
            foreground class indices and ``high_res`` (K, H, W) CAMs in
            [0, 1] (the format of :mod:`rpnet_mmseg.fileio.cam_format`).
        fg_thresh (float): Background score of the foreground map.
            Defaults to 0.30.
        bg_thresh (float): Background score of the background map.
            Defaults to 0.05.
        ignore_index (int): The unsure value. Defaults to 255.
        **crf (float): CRF parameters overriding IRN's
            (:data:`rpnet_mmseg.utils.IRN_CRF_PARAMS`: ``num_iters``,
            ``gt_prob``, ``gaussian_sxy``, ``gaussian_compat``,
            ``bilateral_sxy``, ``bilateral_srgb``, ``bilateral_compat``).

    Returns:
        np.ndarray: (H, W) uint8: 0 background, ``key + 1`` foreground,
        ``ignore_index`` unsure.
    """
    keys = np.asarray(cam_dict['keys']).astype(np.int64).reshape(-1)
    cams = np.asarray(cam_dict['high_res'], dtype=np.float32)
    image = np.asarray(image)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'"high_res" must be (K, H, W) with K = len(keys) '
                         f'= {keys.size}, got {cams.shape}')
    if image.shape[:2] != cams.shape[1:]:
        raise ValueError(f'the image is {image.shape[:2]} but "high_res" is '
                         f'{cams.shape[1:]}')
    if keys.size and (keys.min() < 0 or keys.max() + 1 >= ignore_index):
        raise ValueError(f'keys must be in [0, {ignore_index - 1}), got '
                         f'{keys.tolist()}')
    height, width = cams.shape[1:]
    if keys.size == 0:  # no class: both maps are all background
        return np.zeros((height, width), np.uint8)
    class_ids = np.concatenate([[0], keys + 1])
    # the CRF-refined argmax over [t, CAMs] for both background scores t
    fg, bg = (crf_relabel(
        image,
        np.concatenate([np.full((1, height, width), t, np.float32), cams]),
        class_ids, **crf) for t in (fg_thresh, bg_thresh))
    label = fg.copy()
    label[fg == 0] = ignore_index
    label[(fg == 0) & (bg == 0)] = 0
    return label.astype(np.uint8)


def relation_label_params(fg_thresh: float = 0.30,
                          bg_thresh: float = 0.05,
                          crf: Optional[Mapping] = None,
                          ignore_index: int = 255) -> dict:
    """Keyword arguments of :func:`make_relation_label`, checked.

    Args:
        fg_thresh (float): See :func:`make_relation_label`.
        bg_thresh (float): See :func:`make_relation_label`.
        crf (Mapping, optional): Any of the CRF arguments; the others keep
            IRN's values (:data:`rpnet_mmseg.utils.IRN_CRF_PARAMS`).
        ignore_index (int): The unsure value. Defaults to 255.

    Returns:
        dict: Every argument of :func:`make_relation_label` but the image
        and the CAM dict.

    Raises:
        KeyError: On an unknown CRF parameter (names it).
    """
    params = merge_crf_params(IRN_CRF_PARAMS, crf)
    params.update(
        fg_thresh=float(fg_thresh),
        bg_thresh=float(bg_thresh),
        ignore_index=int(ignore_index))
    return params


def _expected_keys(cls_labels: Mapping, name: str,
                   cls_label_file: str) -> List[int]:
    """0-based classes of an image from :func:`load_cls_labels`' dict."""
    if name not in cls_labels:
        raise KeyError(f'{cls_label_file}: no image-level label for {name}')
    return np.nonzero(np.asarray(cls_labels[name]) > 0)[0].tolist()


def _relation_label_job(job: Tuple) -> str:
    """Worker: write the relation label PNG of one image; returns its name.

    ``job`` is ``(name, img_file, cam_file, out_file, expected_keys,
    params, palette)``; ``expected_keys`` is None when not checked.
    """
    import mmcv
    from mmengine import fileio as mmfileio

    from ..fileio import load_cam, save_label_png

    name, img_file, cam_file, out_file, expected, params, palette = job
    if not mmfileio.exists(img_file):
        raise FileNotFoundError(f'image of {name} not found: {img_file}')
    image = mmcv.imfrombytes(
        mmfileio.get(img_file), flag='color', channel_order='rgb')
    if image is None:
        raise ValueError(f'{img_file}: cannot decode the image')
    cam = load_cam(
        cam_file, image_shape=image.shape[:2], required=('high_res', ))
    if expected is not None and cam['keys'].tolist() != list(expected):
        raise ValueError(f'{cam_file}: CAM keys {cam["keys"].tolist()} but '
                         f'the image-level label of {name} has the classes '
                         f'{list(expected)} (0-based)')
    label = make_relation_label(image, cam, **params)
    save_label_png(out_file, label, palette=palette)
    return name


def write_relation_labels(data_root: str,
                          ann_file: str,
                          cam_dir: str,
                          out_dir: str,
                          img_dir: str = 'JPEGImages',
                          img_suffix: Union[str, Sequence[str]] = '.jpg',
                          cls_label_file: Optional[str] = None,
                          fg_thresh: float = 0.30,
                          bg_thresh: float = 0.05,
                          crf: Optional[Mapping] = None,
                          ignore_index: int = 255,
                          nproc: int = 1,
                          on_stale: str = 'error',
                          palette: Optional[Sequence] = None) -> Dict:
    """Write the relation label of every image of a split, resumably.

    One ``NAME.png`` (:func:`rpnet_mmseg.fileio.save_label_png`, atomic)
    per image of ``ann_file`` in ``out_dir``; images whose PNG exists are
    skipped, so a killed run resumes where it stopped. The folder records
    its producer (the CAM folder's provenance record and the parameters) in
    ``.rpnet_stage.json``: a run with other parameters or other CAMs stops
    (``on_stale='error'``) or recomputes everything (``'overwrite'``). Work
    is spread over ``nproc`` worker processes with mmengine's progress bar.

    Args:
        data_root (str): Dataset root; relative paths below are under it.
        ann_file (str): Split file (one image name per line; see
            :func:`rpnet_mmseg.fileio.split_path`).
        cam_dir (str): Folder of CAM files, ``NAME.npz`` or IRN's
            ``NAME.npy`` (with ``keys`` and ``high_res``).
        out_dir (str): Output folder.
        img_dir (str): Image folder. Defaults to 'JPEGImages'.
        img_suffix (str | Sequence[str]): Image file suffix, or suffixes
            tried in order. Defaults to '.jpg'.
        cls_label_file (str, optional): Image-level labels,
            ``cls_labels.npz`` or IRN's ``cls_labels.npy`` (see
            :func:`rpnet_mmseg.fileio.load_cls_labels`): when given, each
            CAM's keys must be its image's classes. Defaults to None (not
            checked).
        fg_thresh (float): Foreground-map background score. Defaults to
            0.30.
        bg_thresh (float): Background-map background score. Defaults to
            0.05.
        crf (Mapping, optional): CRF parameters overriding IRN's
            (:data:`rpnet_mmseg.utils.IRN_CRF_PARAMS`).
        ignore_index (int): The unsure value. Defaults to 255.
        nproc (int): Worker processes. Defaults to 1 (no pool).
        on_stale (str): ``'error'`` or ``'overwrite'``, see
            :func:`rpnet_mmseg.fileio.check_or_record`.
        palette (Sequence, optional): PNG palette (VOC's by default).

    Returns:
        dict: ``total``, ``written`` and ``skipped`` image counts.

    Raises:
        FileNotFoundError: A missing split, image or CAM file (named).
        ValueError: A CAM with the wrong keys or size (names the file).
        StaleOutputError: ``out_dir`` holds another producer's labels.
    """
    from mmengine.utils import track_parallel_progress, track_progress

    from ..fileio import (LABEL_SUFFIX, cam_path, check_or_record,
                          find_cls_label_file, image_file, label_path,
                          load_cls_labels, make_record, read_record,
                          read_split, split_path)
    from ..fileio.provenance import note_written, producer_identity

    params = relation_label_params(fg_thresh, bg_thresh, crf, ignore_index)

    def under_root(path):
        return path if osp.isabs(path) else osp.join(data_root, path)

    names = read_split(split_path(data_root, ann_file))
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    missing = [
        cam_path(cam_dir, n) for n in names
        if not osp.isfile(cam_path(cam_dir, n))
    ]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(names)} CAM files missing, first: '
            f'{missing[0]}' + (f' (also {", ".join(missing[1:4])}...)'
                               if len(missing) > 1 else ''))
    cls_labels = None
    if cls_label_file:
        cls_label_file = find_cls_label_file(under_root(cls_label_file))
        cls_labels = load_cls_labels(cls_label_file)
    cam_record = read_record(cam_dir)
    producer = make_record(
        'RelationLabels',
        extra=dict(
            cam_producer=producer_identity(cam_record)
            if cam_record else None,
            params=params))
    check_or_record(out_dir, producer, on_stale=on_stale, suffix=LABEL_SUFFIX)
    jobs = []
    for name in names:
        out_file = label_path(out_dir, name)
        if osp.isfile(out_file):
            continue
        expected = None if cls_labels is None else _expected_keys(
            cls_labels, name, cls_label_file)
        jobs.append((name, image_file(under_root(img_dir), name, img_suffix),
                     cam_path(cam_dir, name), out_file, expected, params,
                     palette))
    # Listed before they are written: 'overwrite' deletes only these.
    note_written(out_dir, [osp.basename(job[3]) for job in jobs])
    if jobs:
        if nproc > 1 and len(jobs) > 1:
            track_parallel_progress(
                _relation_label_job, jobs, nproc=min(nproc, len(jobs)))
        else:
            track_progress(_relation_label_job, jobs)
    return dict(
        total=len(names),
        written=len(jobs),
        skipped=len(names) - len(jobs))
