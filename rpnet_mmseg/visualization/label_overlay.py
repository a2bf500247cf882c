"""One picture per image: photo, CAMs, relation label, pseudo-label, mask.

The pseudo-label stage's companion of :mod:`.cam_overlay` (same heat maps,
same colours): it shows what the random walk made of each image's CAMs.
Drawn with matplotlib's object API on an Agg canvas (headless).
"""
import io
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine import fileio
from PIL import Image

from ..fileio import atomic_write, cam_path, label_path, load_cam, read_mask
from .cam_overlay import blend_heatmap, colorize_labels


def draw_panels(panels: Sequence[Tuple[str, np.ndarray]],
                panel_inches: float = 2.5,
                dpi: int = 100) -> np.ndarray:
    """Draw titled pictures side by side.

    Args:
        panels (Sequence[tuple]): ``(title, uint8 [H, W, 3])`` pairs, all of
            one size.
        panel_inches (float): Width of one panel in inches. Defaults to 2.5.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.
    """
    if not panels:
        raise ValueError('nothing to draw: no panel')
    height, width = panels[0][1].shape[:2]
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


def draw_label_overlay(image: np.ndarray,
                       label: np.ndarray,
                       class_names: Sequence[str],
                       palette: Sequence[Sequence[int]],
                       cam_dict: Optional[Dict[str, np.ndarray]] = None,
                       relation_label: Optional[np.ndarray] = None,
                       mask: Optional[np.ndarray] = None,
                       key: str = 'high_res',
                       alpha: float = 0.5,
                       ignore_index: int = 255,
                       panel_inches: float = 2.5,
                       dpi: int = 100) -> np.ndarray:
    """Draw one row of panels for one image.

    Panels, left to right: the photo; each of the image's CAMs blended into
    it (when ``cam_dict`` is given); the relation label (when given); the
    pseudo-label; the ground-truth mask (when given). Label maps use
    ``palette``, 255 in VOC's void colour.

    Args:
        image (np.ndarray): uint8 [H, W, 3] RGB photo.
        label (np.ndarray): [H, W] pseudo-label class ids.
        class_names (Sequence[str]): All class names, background first.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        cam_dict (dict, optional): CAM dict with ``keys`` and ``key``.
        relation_label (np.ndarray, optional): [H, W] relation label.
        mask (np.ndarray, optional): [H, W] ground-truth class ids.
        key (str): CAM array to draw. Defaults to 'high_res'.
        alpha (float): Heat map weight. Defaults to 0.5.
        ignore_index (int): Void id. Defaults to 255.
        panel_inches (float): Width of one panel. Defaults to 2.5.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.

    Raises:
        ValueError: If a map does not fit the image or a class has no name.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be [H, W, 3] RGB, got {image.shape}')
    size = image.shape[:2]
    maps = [('pseudo-label', label), ('relation label', relation_label),
            ('mask', mask)]
    for what, arr in maps:
        if arr is not None and np.asarray(arr).shape != size:
            raise ValueError(f'{what} {np.asarray(arr).shape} does not fit '
                             f'the image {size}')
    panels = [('image', image.astype(np.uint8))]
    if cam_dict is not None:
        cams = np.asarray(cam_dict[key], dtype=np.float32)
        keys = np.asarray(cam_dict['keys'], dtype=np.int64)
        if cams.ndim != 3 or cams.shape[0] != len(keys) or \
                cams.shape[1:] != size:
            raise ValueError(f'"{key}" {cams.shape} does not fit '
                             f'{len(keys)} keys and the image {size}')
        if len(keys) and keys.max() + 1 >= len(class_names):
            raise ValueError(f'keys {keys.tolist()} do not fit '
                             f'{len(class_names)} class names')
        panels += [(f'CAM {class_names[k + 1]}',
                    blend_heatmap(image, cam, alpha))
                   for k, cam in zip(keys, cams)]
    if relation_label is not None:
        panels.append(('relation label',
                       colorize_labels(relation_label, palette, ignore_index)))
    panels.append(('pseudo-label', colorize_labels(label, palette,
                                                   ignore_index)))
    if mask is not None:
        panels.append(
            ('ground truth', colorize_labels(mask, palette, ignore_index)))
    return draw_panels(panels, panel_inches, dpi)


def spread(names: Sequence[str], max_images: Optional[int]) -> List[str]:
    """At most ``max_images`` names spread evenly over ``names``."""
    names = list(names)
    if max_images is not None and len(names) > max_images:
        step = len(names) / max_images
        names = [names[int(i * step)] for i in range(max_images)]
    return names


def save_label_overlays(label_dir: str,
                        data_root: str,
                        names: Sequence[str],
                        out_dir: str,
                        class_names: Sequence[str],
                        palette: Sequence[Sequence[int]],
                        cam_dir: Optional[str] = None,
                        relation_label_dir: Optional[str] = None,
                        max_images: Optional[int] = 8,
                        img_dir: str = 'JPEGImages',
                        img_suffix: str = '.jpg',
                        mask_dir: str = 'SegmentationClass',
                        mask_suffix: str = '.png',
                        key: str = 'high_res') -> List[str]:
    """Write ``out_dir/NAME.png`` pseudo-label overlays.

    For each chosen image: its pseudo-label ``label_dir/NAME.png``, and
    when the folders are given its CAMs and relation label; the mask panel
    is added when ``data_root/mask_dir/NAME{mask_suffix}`` exists. PNGs are
    written atomically.

    Args:
        label_dir (str): Folder of the pseudo-label PNGs.
        data_root (str): VOC-style dataset root.
        names (Sequence[str]): Image names, in drawing order.
        out_dir (str): Output folder (local disk).
        class_names (Sequence[str]): All class names, background first.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        cam_dir (str, optional): Folder of the CAM files. Defaults to None.
        relation_label_dir (str, optional): Folder of the relation labels.
            Defaults to None.
        max_images (int, optional): Draw at most this many images, spread
            evenly over ``names``; None for all. Defaults to 8.
        img_dir (str): Image folder under ``data_root``.
        img_suffix (str): Image suffix. Defaults to '.jpg'.
        mask_dir (str): Mask folder under ``data_root``.
        mask_suffix (str): Mask suffix. Defaults to '.png'.
        key (str): CAM array to draw. Defaults to 'high_res'.

    Returns:
        list[str]: Paths of the PNGs written.

    Raises:
        FileNotFoundError: If a pseudo-label (or a requested CAM file or
            relation label) is missing; the message names the file.
    """
    written = []
    for name in spread(names, max_images):
        img_path = osp.join(data_root, img_dir, name + img_suffix)
        with Image.open(io.BytesIO(fileio.get(img_path))) as img:
            image = np.array(img.convert('RGB'))
        pseudo = label_path(label_dir, name)
        if not fileio.exists(pseudo):
            raise FileNotFoundError(f'pseudo-label not found: {pseudo}')
        label = read_mask(pseudo)
        relation = None
        if relation_label_dir is not None:
            rel_path = label_path(relation_label_dir, name)
            if not fileio.exists(rel_path):
                raise FileNotFoundError(
                    f'relation label not found: {rel_path}')
            relation = read_mask(rel_path)
        cam_dict = None
        if cam_dir is not None:
            cam_dict = load_cam(
                cam_path(cam_dir, name),
                image_shape=image.shape[:2],
                required=(key, ))
        mask_path = osp.join(data_root, mask_dir, name + mask_suffix)
        mask = read_mask(mask_path) if fileio.exists(mask_path) else None
        picture = draw_label_overlay(
            image,
            label,
            class_names,
            palette,
            cam_dict=cam_dict,
            relation_label=relation,
            mask=mask,
            key=key)
        out_path = osp.join(out_dir, name + '.png')
        atomic_write(out_path,
                     lambda f: Image.fromarray(picture).save(f, format='PNG'))
        written.append(out_path)
    return written
