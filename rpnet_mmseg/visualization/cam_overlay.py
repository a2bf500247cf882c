"""One picture per image: photo, each class's CAM as a heat map, label maps.

Drawn with matplotlib's object API on an Agg canvas (no pyplot state, no
display needed), so it runs on headless machines and inside tests.
"""
import io
import os.path as osp
from typing import Dict, List, Optional, Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine import fileio
from PIL import Image

from ..evaluation.metrics.cam_metric import cam_label_map, format_threshold
from ..fileio import atomic_write, cam_path, load_cam, read_mask

# VOC's colour of the void label 255.
IGNORE_COLOR = (224, 224, 192)


def colorize_labels(labels: np.ndarray,
                    palette: Sequence[Sequence[int]],
                    ignore_index: int = 255) -> np.ndarray:
    """Colour a label map with a palette.

    Args:
        labels (np.ndarray): [H, W] class ids.
        palette (Sequence[Sequence[int]]): RGB colour of each class id.
        ignore_index (int): Id drawn in VOC's void colour. Defaults to 255.

    Returns:
        np.ndarray: uint8 [H, W, 3] RGB image.

    Raises:
        ValueError: If a label has no palette colour.
    """
    lut = np.zeros((256, 3), dtype=np.uint8)
    colors = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    lut[:len(colors)] = colors
    if 0 <= ignore_index < 256:
        lut[ignore_index] = IGNORE_COLOR
    labels = np.asarray(labels)
    drawable = (labels >= 0) & ((labels < len(colors)) |
                                (labels == ignore_index))
    if not drawable.all():
        raise ValueError(f'labels {np.unique(labels[~drawable]).tolist()} '
                         f'have no colour in a palette of {len(colors)}')
    return lut[labels.astype(np.int64)]


def blend_heatmap(image: np.ndarray,
                  cam: np.ndarray,
                  alpha: float = 0.5) -> np.ndarray:
    """Blend a [0, 1] CAM, coloured with the 'jet' colormap, into a photo.

    Args:
        image (np.ndarray): uint8 [H, W, 3] RGB photo.
        cam (np.ndarray): [H, W] class map in [0, 1].
        alpha (float): Weight of the heat map. Defaults to 0.5.

    Returns:
        np.ndarray: uint8 [H, W, 3] RGB image.
    """
    jet = matplotlib.colormaps['jet']
    heat = jet(np.clip(cam, 0.0, 1.0))[..., :3] * 255.0
    out = (1.0 - alpha) * image.astype(np.float64) + alpha * heat
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def draw_cam_overlay(image: np.ndarray,
                     cam_dict: Dict[str, np.ndarray],
                     class_names: Sequence[str],
                     palette: Sequence[Sequence[int]],
                     threshold: float,
                     mask: Optional[np.ndarray] = None,
                     key: str = 'high_res',
                     alpha: float = 0.5,
                     ignore_index: int = 255,
                     panel_inches: float = 2.5,
                     dpi: int = 100) -> np.ndarray:
    """Draw one row of titled panels for one image.

    Panels, left to right: the photo; for each of the image's K classes the
    photo blended with that class's CAM ('jet', titled with the class name);
    the label map at background score ``threshold`` (METHOD.md section 2)
    coloured with ``palette``; the ground-truth mask if given. Every panel is
    ``panel_inches * dpi`` pixels wide, so the width grows with K.

    Args:
        image (np.ndarray): uint8 [H, W, 3] RGB photo.
        cam_dict (dict): CAM dict with ``keys`` and ``key`` ([K, H, W]).
        class_names (Sequence[str]): All class names, background first
            (class id = key + 1).
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        threshold (float): Background score t of the label map.
        mask (np.ndarray, optional): [H, W] ground-truth class ids.
            Defaults to None.
        key (str): CAM array to draw. Defaults to 'high_res'.
        alpha (float): Heat map weight. Defaults to 0.5.
        ignore_index (int): Void id in ``mask``. Defaults to 255.
        panel_inches (float): Width of one panel in inches. Defaults to 2.5.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.

    Raises:
        ValueError: If the image, CAM and mask sizes differ or a key has no
            class name.
    """
    image = np.asarray(image)
    cams = np.asarray(cam_dict[key], dtype=np.float32)
    keys = np.asarray(cam_dict['keys'], dtype=np.int64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be [H, W, 3] RGB, got {image.shape}')
    if cams.ndim != 3 or cams.shape[0] != len(keys) or \
            cams.shape[1:] != image.shape[:2]:
        raise ValueError(f'"{key}" {cams.shape} does not fit {len(keys)} '
                         f'keys and the image {image.shape[:2]}')
    if mask is not None and np.asarray(mask).shape != image.shape[:2]:
        raise ValueError(f'mask {np.asarray(mask).shape} does not fit the '
                         f'image {image.shape[:2]}')
    if len(keys) and keys.max() + 1 >= len(class_names):
        raise ValueError(f'keys {keys.tolist()} do not fit '
                         f'{len(class_names)} class names')

    panels = [('image', image.astype(np.uint8))]
    for k, cam in zip(keys, cams):
        panels.append((str(class_names[k + 1]), blend_heatmap(
            image, cam, alpha)))
    labels = cam_label_map(cams, keys, threshold)
    panels.append((f'CAM labels, t={format_threshold(threshold)}',
                   colorize_labels(labels, palette, ignore_index)))
    if mask is not None:
        panels.append(('ground truth',
                       colorize_labels(mask, palette, ignore_index)))

    height, width = image.shape[:2]
    fig = Figure(
        figsize=(panel_inches * len(panels),
                 panel_inches * height / width + 0.35),
        dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=0.01, right=0.99, bottom=0.01, top=0.88, wspace=0.04)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, picture) in zip(axes, panels):
        ax.imshow(picture, interpolation='nearest')
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_cam_overlays(cam_dir: str,
                      data_root: str,
                      names: Sequence[str],
                      out_dir: str,
                      class_names: Sequence[str],
                      palette: Sequence[Sequence[int]],
                      threshold: float,
                      max_images: Optional[int] = 8,
                      img_dir: str = 'JPEGImages',
                      img_suffix: str = '.jpg',
                      mask_dir: str = 'SegmentationClass',
                      mask_suffix: str = '.png',
                      key: str = 'high_res') -> List[str]:
    """Write ``out_dir/NAME.png`` overlays for the first images of a list.

    The ground-truth panel is added for the images whose mask exists in
    ``data_root/mask_dir``. Each PNG is written atomically.

    Args:
        cam_dir (str): Directory of CAM files (``NAME.npz`` or IRN's
            ``NAME.npy``, see :func:`rpnet_mmseg.fileio.load_cam`).
        data_root (str): VOC-style dataset root.
        names (Sequence[str]): Image names, in drawing order.
        out_dir (str): Output directory (local disk).
        class_names (Sequence[str]): All class names, background first.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        threshold (float): Background score t of the label map.
        max_images (int, optional): Draw at most this many images, spread
            evenly over ``names`` (so a split sorted by class shows several
            classes); None for all. Defaults to 8.
        img_dir (str): Image folder under ``data_root``.
            Defaults to 'JPEGImages'.
        img_suffix (str): Image file suffix. Defaults to '.jpg'.
        mask_dir (str): Mask folder under ``data_root``.
            Defaults to 'SegmentationClass'.
        mask_suffix (str): Mask file suffix. Defaults to '.png'.
        key (str): CAM array to draw. Defaults to 'high_res'.

    Returns:
        list[str]: Paths of the PNGs written.
    """
    names = list(names)
    if max_images is not None and len(names) > max_images:
        step = len(names) / max_images
        names = [names[int(i * step)] for i in range(max_images)]
    written = []
    for name in names:
        img_bytes = fileio.get(osp.join(data_root, img_dir, name + img_suffix))
        with Image.open(io.BytesIO(img_bytes)) as img:
            image = np.array(img.convert('RGB'))
        mask_path = osp.join(data_root, mask_dir, name + mask_suffix)
        mask = read_mask(mask_path) if fileio.exists(mask_path) else None
        cam_dict = load_cam(
            cam_path(cam_dir, name), image_shape=image.shape[:2],
            required=(key, ))
        picture = draw_cam_overlay(
            image, cam_dict, class_names, palette, threshold, mask, key=key)
        out_path = osp.join(out_dir, name + '.png')
        atomic_write(out_path,
                     lambda f: Image.fromarray(picture).save(f, format='PNG'))
        written.append(out_path)
    return written
