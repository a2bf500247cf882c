"""Overlays of the CAM and pseudo-label stages: one row of titled panels.

Per image: the photo; each of its classes' CAM as a 'jet' heat map blended
into it; label maps (CAM labels at a background score, relation label,
pseudo-label) coloured with the dataset palette, void 255 in VOC's void
colour; the ground-truth mask where one exists. Drawn with matplotlib's
object API on an Agg canvas (no pyplot state, no display needed).

mmengine's ``Visualizer.draw_featmap`` is not used for the heat maps: it
stretches each map to its own min..max, so a uniform CAM (a dead stage)
would look cold although every pixel is above the threshold. mmseg's
``SegLocalVisualizer`` is not used for the label maps: it leaves ids past
the class list uncoloured, so void 255 (undecided pixels) would look like
VOC's black background.
"""
import os
import os.path as osp
from typing import (Any, Callable, Dict, List, Optional, Sequence, Tuple,
                    Union)

import matplotlib
import mmcv
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine import fileio
from PIL import Image

from ..fileio import (atomic_write, cam_label_map, cam_path, check_image_name,
                      format_threshold, image_file, label_path, load_cam,
                      note_written,
                      read_mask, validate_cam_dict, voc_colormap)

Panel = Tuple[str, np.ndarray]
# VOC's colour of the void label 255.
IGNORE_COLOR = tuple(voc_colormap(256)[255])


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
        cam (np.ndarray): [H, W] class map in [0, 1], drawn on that fixed
            scale (not stretched to its own range).
        alpha (float): Weight of the heat map. Defaults to 0.5.

    Returns:
        np.ndarray: uint8 [H, W, 3] RGB image.
    """
    heat = matplotlib.colormaps['jet'](np.clip(cam, 0.0, 1.0))[..., :3]
    out = (1.0 - alpha) * image.astype(np.float64) + alpha * 255.0 * heat
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def draw_panels(panels: Sequence[Panel],
                panel_inches: float = 2.5,
                dpi: int = 100) -> np.ndarray:
    """Draw titled pictures side by side, each ``panel_inches * dpi`` wide.

    Args:
        panels (Sequence[tuple]): ``(title, uint8 [H, W, 3])`` pairs, all of
            one size.
        panel_inches (float): Width of one panel in inches. Defaults to 2.5.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.

    Raises:
        ValueError: If there is no panel.
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


def _check_image(image: np.ndarray,
                 maps: Dict[str, Optional[np.ndarray]]) -> np.ndarray:
    """The photo as uint8 RGB, every given map checked to fit it."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be [H, W, 3] RGB, got {image.shape}')
    for what, arr in maps.items():
        if arr is not None and np.shape(arr) != image.shape[:2]:
            raise ValueError(f'{what} {np.shape(arr)} does not fit the '
                             f'image {image.shape[:2]}')
    return image.astype(np.uint8)


def _cam_arrays(cam_dict: Dict[str, np.ndarray], key: str, image: np.ndarray,
                class_names: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """``(cams, keys)`` of a CAM dict, checked against image and names."""
    validate_cam_dict(cam_dict, 'cam_dict', required=(key, ))
    cams = np.asarray(cam_dict[key], dtype=np.float32)
    keys = np.asarray(cam_dict['keys'], dtype=np.int64)
    if cams.shape[1:] != image.shape[:2]:
        raise ValueError(f'"{key}" {cams.shape} does not fit the image '
                         f'{image.shape[:2]}')
    if len(keys) and keys.max() + 1 >= len(class_names):
        raise ValueError(f'keys {keys.tolist()} do not fit '
                         f'{len(class_names)} class names')
    return cams, keys


def _draw_row(image: np.ndarray,
              heat_maps: Sequence[Panel],
              label_maps: Sequence[Tuple[str, Optional[np.ndarray]]],
              palette: Sequence[Sequence[int]],
              alpha: float = 0.5,
              ignore_index: int = 255,
              panel_inches: float = 2.5,
              dpi: int = 100) -> np.ndarray:
    """Photo | heat maps blended into it | coloured label maps (not None).

    The drawing style of both overlays; :func:`draw_cam_overlay` and
    :func:`draw_label_overlay` pass their ``**style`` here.

    Args:
        image (np.ndarray): uint8 [H, W, 3] RGB photo.
        heat_maps (Sequence[tuple]): ``(title, [H, W] map in [0, 1])``.
        label_maps (Sequence[tuple]): ``(title, [H, W] class ids or None)``;
            None is left out.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        alpha (float): Heat map weight. Defaults to 0.5.
        ignore_index (int): Void id. Defaults to 255.
        panel_inches (float): Width of one panel in inches. Defaults to 2.5.
        dpi (int): Resolution. Defaults to 100.
    """
    panels = [('image', image)]
    panels += [(title, blend_heatmap(image, cam, alpha))
               for title, cam in heat_maps]
    panels += [(title, colorize_labels(labels, palette, ignore_index))
               for title, labels in label_maps if labels is not None]
    return draw_panels(panels, panel_inches, dpi)


def draw_cam_overlay(image: np.ndarray,
                     cam_dict: Dict[str, np.ndarray],
                     class_names: Sequence[str],
                     palette: Sequence[Sequence[int]],
                     threshold: float,
                     mask: Optional[np.ndarray] = None,
                     key: str = 'high_res',
                     **style: Any) -> np.ndarray:
    """Draw the CAM stage's row of panels for one image.

    Panels, left to right: the photo; for each of the image's K classes the
    photo blended with that class's CAM (titled with the class name); the
    label map at background score ``threshold`` (docs/en/method.md section
    2.2); the ground-truth mask if given. The width grows with K.

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
        **style: ``alpha``, ``ignore_index``, ``panel_inches``, ``dpi``
            (see :func:`_draw_row`).

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.

    Raises:
        ValueError: If the CAM dict is invalid (see
            :func:`rpnet_mmseg.fileio.validate_cam_dict`), the image, CAM and
            mask sizes differ or a key has no class name.
    """
    image = _check_image(image, {'mask': mask})
    cams, keys = _cam_arrays(cam_dict, key, image, class_names)
    heat_maps = [(str(class_names[k + 1]), cam) for k, cam in zip(keys, cams)]
    label_maps = [(f'CAM labels, t={format_threshold(threshold)}',
                   cam_label_map(cams, keys, threshold)),
                  ('ground truth', mask)]
    return _draw_row(image, heat_maps, label_maps, palette, **style)


def draw_label_overlay(image: np.ndarray,
                       label: np.ndarray,
                       class_names: Sequence[str],
                       palette: Sequence[Sequence[int]],
                       cam_dict: Optional[Dict[str, np.ndarray]] = None,
                       relation_label: Optional[np.ndarray] = None,
                       mask: Optional[np.ndarray] = None,
                       key: str = 'high_res',
                       **style: Any) -> np.ndarray:
    """Draw the pseudo-label stage's row of panels for one image.

    Panels, left to right: the photo; each of the image's CAMs blended into
    it (when ``cam_dict`` is given); the relation label (when given); the
    pseudo-label; the ground-truth mask (when given).

    Args:
        image (np.ndarray): uint8 [H, W, 3] RGB photo.
        label (np.ndarray): [H, W] pseudo-label class ids.
        class_names (Sequence[str]): All class names, background first.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        cam_dict (dict, optional): CAM dict with ``keys`` and ``key``.
        relation_label (np.ndarray, optional): [H, W] relation label.
        mask (np.ndarray, optional): [H, W] ground-truth class ids.
        key (str): CAM array to draw. Defaults to 'high_res'.
        **style: ``alpha``, ``ignore_index``, ``panel_inches``, ``dpi``
            (see :func:`_draw_row`).

    Returns:
        np.ndarray: uint8 [h, w, 3] RGB picture.

    Raises:
        ValueError: If a map does not fit the image, the CAM dict is invalid
            or a class has no name.
    """
    image = _check_image(image, {
        'pseudo-label': label,
        'relation label': relation_label,
        'mask': mask
    })
    heat_maps = []
    if cam_dict is not None:
        cams, keys = _cam_arrays(cam_dict, key, image, class_names)
        heat_maps = [(f'CAM {class_names[k + 1]}', cam)
                     for k, cam in zip(keys, cams)]
    label_maps = [('relation label', relation_label), ('pseudo-label', label),
                  ('ground truth', mask)]
    return _draw_row(image, heat_maps, label_maps, palette, **style)


def _read_label(label_dir: str, name: str, what: str) -> np.ndarray:
    """Read ``label_dir/NAME.png``; FileNotFoundError names ``what``."""
    path = label_path(label_dir, name)
    if not fileio.exists(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    return read_mask(path)


def _save_overlays(draw: Callable[[str, np.ndarray, Optional[np.ndarray]],
                                  np.ndarray],
                   data_root: str,
                   names: Sequence[str],
                   out_dir: str,
                   max_images: Optional[int] = 8,
                   img_dir: str = 'JPEGImages',
                   img_suffix: Union[str, Sequence[str]] = '.jpg',
                   mask_dir: str = 'SegmentationClass',
                   mask_suffix: str = '.png') -> List[str]:
    """Write ``draw(name, image, mask)`` to ``out_dir/NAME.png`` atomically.

    Where both savers find the images: their ``**images`` come here.

    Args:
        draw (Callable): ``(name, RGB image, mask or None) -> picture``.
        data_root (str): VOC-style dataset root.
        names (Sequence[str]): Image names, in drawing order.
        out_dir (str): Output folder (local disk).
        max_images (int, optional): Draw at most this many images, spread
            evenly over ``names`` (so a split sorted by class shows several
            classes); None for all. Defaults to 8.
        img_dir (str): Image folder under ``data_root``.
            Defaults to 'JPEGImages'.
        img_suffix (str | Sequence[str]): Image file suffix, or suffixes
            tried in order. Defaults to '.jpg'.
        mask_dir (str): Mask folder under ``data_root``; ``mask`` is None
            where ``data_root/mask_dir/NAME{mask_suffix}`` does not exist.
            Defaults to 'SegmentationClass'.
        mask_suffix (str): Mask file suffix. Defaults to '.png'.

    Returns:
        list[str]: Paths of the PNGs written, each listed in the folder's
        manifest first (:func:`rpnet_mmseg.fileio.note_written`), so a
        rerun may delete what a killed run left.

    Raises:
        ValueError: Before anything is drawn, if a name is no plain file
            stem (:func:`rpnet_mmseg.fileio.check_image_name`), e.g.
            ``../x``, which would write outside ``out_dir``.
    """
    names = [
        check_image_name(name, f"overlay for folder '{out_dir}'")
        for name in names
    ]
    if max_images is not None and len(names) > max_images:
        step = len(names) / max_images
        names = [names[int(i * step)] for i in range(max_images)]
    written = []
    for name in names:
        image = mmcv.imfrombytes(
            fileio.get(
                image_file(osp.join(data_root, img_dir), name, img_suffix)),
            channel_order='rgb')
        mask_file = osp.join(data_root, mask_dir, name + mask_suffix)
        mask = read_mask(mask_file) if fileio.exists(mask_file) else None
        picture = draw(name, image, mask)
        out_path = osp.join(out_dir, name + '.png')
        # listed before it is written: a killed run's pictures stay its own
        os.makedirs(out_dir, exist_ok=True)
        note_written(out_dir, [osp.basename(out_path)])
        atomic_write(out_path,
                     lambda f: Image.fromarray(picture).save(f, format='PNG'))
        written.append(out_path)
    return written


def save_cam_overlays(cam_dir: str,
                      data_root: str,
                      names: Sequence[str],
                      out_dir: str,
                      class_names: Sequence[str],
                      palette: Sequence[Sequence[int]],
                      threshold: float,
                      key: str = 'high_res',
                      **images: Any) -> List[str]:
    """Write ``out_dir/NAME.png`` CAM overlays (:func:`draw_cam_overlay`).

    Args:
        cam_dir (str): Directory of CAM files (``NAME.npz`` or IRN's
            ``NAME.npy``, see :func:`rpnet_mmseg.fileio.load_cam`).
        data_root (str): VOC-style dataset root.
        names (Sequence[str]): Image names, in drawing order.
        out_dir (str): Output directory (local disk).
        class_names (Sequence[str]): All class names, background first.
        palette (Sequence[Sequence[int]]): RGB colour per class id.
        threshold (float): Background score t of the label map.
        key (str): CAM array to draw. Defaults to 'high_res'.
        **images: Where the images are and how many to draw:
            ``max_images`` (default 8; None for all), ``img_dir``,
            ``img_suffix``, ``mask_dir`` (the ground-truth panel is drawn
            where a mask exists), ``mask_suffix`` (see
            :func:`_save_overlays`).

    Returns:
        list[str]: Paths of the PNGs written.
    """

    def draw(name: str, image: np.ndarray,
             mask: Optional[np.ndarray]) -> np.ndarray:
        cam_dict = load_cam(
            cam_path(cam_dir, name),
            image_shape=image.shape[:2],
            required=(key, ))
        return draw_cam_overlay(
            image, cam_dict, class_names, palette, threshold, mask, key=key)

    return _save_overlays(draw, data_root, names, out_dir, **images)


def save_label_overlays(label_dir: str,
                        data_root: str,
                        names: Sequence[str],
                        out_dir: str,
                        class_names: Sequence[str],
                        palette: Sequence[Sequence[int]],
                        cam_dir: Optional[str] = None,
                        relation_label_dir: Optional[str] = None,
                        key: str = 'high_res',
                        **images: Any) -> List[str]:
    """Write ``out_dir/NAME.png`` pseudo-label overlays.

    Each image's pseudo-label ``label_dir/NAME.png`` and, when the folders
    are given, its CAMs and relation label, drawn by
    :func:`draw_label_overlay`.

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
        key (str): CAM array to draw. Defaults to 'high_res'.
        **images: As for :func:`save_cam_overlays`.

    Returns:
        list[str]: Paths of the PNGs written.

    Raises:
        FileNotFoundError: If a pseudo-label (or a requested CAM file or
            relation label) is missing; the message names the file.
    """

    def draw(name: str, image: np.ndarray,
             mask: Optional[np.ndarray]) -> np.ndarray:
        label = _read_label(label_dir, name, 'pseudo-label')
        relation = None
        if relation_label_dir is not None:
            relation = _read_label(relation_label_dir, name, 'relation label')
        cam_dict = None
        if cam_dir is not None:
            cam_dict = load_cam(
                cam_path(cam_dir, name),
                image_shape=image.shape[:2],
                required=(key, ))
        return draw_label_overlay(
            image,
            label,
            class_names,
            palette,
            cam_dict=cam_dict,
            relation_label=relation,
            mask=mask,
            key=key)

    return _save_overlays(draw, data_root, names, out_dir, **images)
