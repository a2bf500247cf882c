"""Label maps on disk: ``NAME.png`` palette PNGs of class ids.

The format of VOC's ``SegmentationClass`` masks, of relation labels and of
pseudo-labels: a palette ('P') PNG whose pixel values ARE the class ids
(0 = background, 1..C-1 the classes, 255 = void / undecided); the palette
only colours them. Written atomically by :func:`save_label_png`, read back
by :func:`read_mask` (through :mod:`mmengine.fileio`, any backend).
"""
import io
import os.path as osp
from typing import Any, List, Optional, Sequence

import numpy as np
import torch
from mmengine import fileio
from PIL import Image

from .atomic import atomic_write

LABEL_SUFFIX = '.png'


class LabelMapError(ValueError):
    """A label map that is no (H, W) map of class ids of its image's size."""


def voc_colormap(num: int = 256) -> List[List[int]]:
    """PASCAL VOC's colour map: the colour of id i from i's bits.

    The VOC devkit spreads the bits of each id over the three channels,
    most significant first (id 1 = (128, 0, 0), 255 = (224, 224, 192)); its
    first 21 entries are mmseg's ``PascalVOCDataset`` palette.

    Args:
        num (int): Number of colours. Defaults to 256.

    Returns:
        list[list[int]]: ``num`` RGB triples.
    """
    colors = []
    for i in range(num):
        rgb = [0, 0, 0]
        cid = i
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((cid >> channel) & 1) << shift
            cid >>= 3
        colors.append(rgb)
    return colors


def label_path(label_dir: str, name: str) -> str:
    """Return the path of the label PNG of image ``name`` in ``label_dir``.

    Args:
        label_dir (str): Directory of label PNGs.
        name (str): Image name (file stem), e.g. ``'2007_000032'``.

    Returns:
        str: ``label_dir/NAME.png``.
    """
    return osp.join(label_dir, name + LABEL_SUFFIX)


def _flat_palette(palette: Optional[Sequence[Sequence[int]]]) -> List[int]:
    """256 RGB entries: ``palette`` first, VOC's colour map for the rest."""
    colors = voc_colormap(256)
    if palette is not None:
        given = np.asarray(palette)
        if given.ndim != 2 or given.shape[1] != 3 or len(given) > 256 or \
                given.size and (given.min() < 0 or given.max() > 255):
            raise ValueError('palette must be at most 256 RGB triples in '
                             f'0..255, got an array of shape {given.shape}')
        colors[:len(given)] = given.astype(int).tolist()
    return [c for rgb in colors for c in rgb]


def save_label_png(path: str,
                   label: Any,
                   palette: Optional[Sequence[Sequence[int]]] = None) -> None:
    """Atomically write a label map as a palette PNG of class ids.

    Args:
        path (str): Final local path, normally ``label_path(dir, name)``.
        label (np.ndarray | torch.Tensor): [H, W] (or [1, H, W]) integer
            class ids in 0..255 (255 = void / undecided).
        palette (Sequence[Sequence[int]], optional): RGB colour of ids
            0, 1, ... (e.g. a dataset's ``metainfo['palette']``); ids beyond
            it keep VOC's colours. Defaults to None (VOC's colour map).

    Raises:
        ValueError: If ``label`` is not a 2-D integer map with values in
            0..255 (the message names ``path``).
    """
    if isinstance(label, torch.Tensor):
        label = label.detach().cpu().numpy()
    label = np.asarray(label)
    if label.ndim == 3 and label.shape[0] == 1:
        label = label[0]
    if label.ndim != 2 or not (np.issubdtype(label.dtype, np.integer)
                               or label.dtype == np.bool_):
        raise ValueError(f'{path}: a label map must be a 2-D integer array '
                         f'[H, W], got shape {label.shape} dtype '
                         f'{label.dtype}')
    if label.size and (label.min() < 0 or label.max() > 255):
        raise ValueError(f'{path}: label values must be in 0..255, got '
                         f'{int(label.min())}..{int(label.max())}')
    h, w = label.shape
    img = Image.frombytes('P', (w, h), label.astype(np.uint8).tobytes())
    img.putpalette(_flat_palette(palette))
    atomic_write(path, lambda f: img.save(f, format='PNG'))


def read_mask(path: str) -> np.ndarray:
    """Read a label mask PNG as class indices.

    VOC masks are palette ('P') PNGs whose pixel values are the class ids
    (255 = void); the palette only colours them, so the indices are read,
    never the RGB colours. Single-channel ('L', 'I') masks are read as is.

    Args:
        path (str): Mask path (any mmengine fileio backend).

    Returns:
        np.ndarray: int64 array [H, W] of class ids.

    Raises:
        ValueError: If the PNG is RGB(A), i.e. holds colours, not ids.
    """
    with Image.open(io.BytesIO(fileio.get(path))) as img:
        if img.mode not in ('P', 'L', 'I', 'I;16'):
            raise ValueError(f'{path}: mask must be a palette (P) or '
                             f'single-channel PNG of class ids, got mode '
                             f'{img.mode}')
        return np.array(img).astype(np.int64)


def check_label_map(label: Any,
                    path: Optional[str],
                    image_shape: Optional[Sequence[int]] = None,
                    image_path: Optional[str] = None) -> None:
    """Raise if a loaded label map is not (H, W) class ids of its image.

    Args:
        label (np.ndarray | torch.Tensor): The loaded label map.
        path (str, optional): Its file, named in the error.
        image_shape (Sequence[int], optional): (H, W, ...) of its image.
            Defaults to None (size not checked).
        image_path (str, optional): The image file, named in the error.

    Raises:
        LabelMapError: If the label map is not 2-D (e.g. an RGB PNG read
            without :func:`read_mask`) or its size differs from the image's;
            names the file(s) and both shapes.
    """
    shape = tuple(np.shape(label))
    if len(shape) != 2:
        raise LabelMapError(
            f"label map '{path}' was read as an array of shape {shape}, not "
            "(H, W) class ids: a label PNG must be a palette ('P') or "
            'single-channel image whose pixel values are the class ids; an '
            'RGB PNG holds colours (convert it to class ids, e.g. through '
            "the dataset's palette)")
    if image_shape is not None and shape != tuple(image_shape[:2]):
        raise LabelMapError(
            f"label map '{path}' is {shape[0]}x{shape[1]} (HxW) but its "
            f"image '{image_path}' is {image_shape[0]}x{image_shape[1]}: "
            'the label map belongs to another image or was resized')
