"""Load an image's CAM file into the pipeline's results."""
import math
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...fileio import cam_path, load_cam


@TRANSFORMS.register_module()
class LoadCAMFromFile(BaseTransform):
    """Read ``cam_dir/NAME.npz`` (or IRN's ``NAME.npy``) for IRN's inference.

    The file is found by :func:`rpnet_mmseg.fileio.cam_path` and read by
    :func:`rpnet_mmseg.fileio.load_cam` (no pickle for ``.npz``; IRN's
    pickled ``.npy`` only through the restricted unpickler).

    Adds ``results['cam']`` (float32 (K, h, w), the stride-``stride`` map
    the random walk propagates) and ``results['cam_keys']`` (int64 (K, ),
    0-based foreground classes). The image must be loaded first and not
    resized: the CAM must cover its grid, ``h = ceil(H / stride)``,
    ``w = ceil(W / stride)``. With ``check_keys`` and an image-level label
    in ``results['gt_label']`` (``ImageLevelSegDataset``), the CAM's keys
    must be exactly the image's classes.

    Errors name the CAM file: missing, unreadable, without ``key``, with
    keys other than the image's classes, or of the wrong size.

    Args:
        cam_dir (str): Folder of the CAM files.
        key (str): CAM array to load. Defaults to 'cam'.
        stride (int): Stride of that array. Defaults to 4.
        check_keys (bool): Compare the keys with ``gt_label``.
            Defaults to True.
    """

    def __init__(self,
                 cam_dir: str,
                 key: str = 'cam',
                 stride: int = 4,
                 check_keys: bool = True) -> None:
        super().__init__()
        if not cam_dir:
            raise ValueError('LoadCAMFromFile needs cam_dir')
        self.cam_dir = cam_dir
        self.key = key
        self.stride = stride
        self.check_keys = check_keys

    @staticmethod
    def _name(results: dict) -> str:
        name = results.get('img_id')
        if name is None:
            img_path = results.get('img_path')
            if img_path is None:
                raise KeyError('LoadCAMFromFile needs img_id or img_path in '
                               'the results to find the CAM file')
            name = osp.splitext(osp.basename(img_path))[0]
        return str(name)

    def transform(self, results: dict) -> Optional[dict]:
        """Load, check and add the CAM of ``results``' image.

        Args:
            results (dict): Pipeline results with the loaded image
                (``img_shape``) and ``img_id`` or ``img_path``.

        Returns:
            dict: ``results`` with ``cam`` and ``cam_keys``.
        """
        path = cam_path(self.cam_dir, self._name(results))
        shape = results.get('ori_shape', results.get('img_shape'))
        if shape is None:
            raise KeyError(f'{path}: load the image (LoadImageFromFile) '
                           'before LoadCAMFromFile')
        cam_dict = load_cam(path, image_shape=shape[:2], required=(self.key, ))
        cam, keys = cam_dict[self.key], cam_dict['keys']
        grid = (math.ceil(shape[0] / self.stride),
                math.ceil(shape[1] / self.stride))
        if tuple(cam.shape[1:]) != grid:
            raise ValueError(
                f'{path}: "{self.key}" is {tuple(cam.shape[1:])}, but the '
                f'{shape[0]}x{shape[1]} image has a stride-{self.stride} grid '
                f'of {grid}')
        gt_label = results.get('gt_label')
        if gt_label is not None and keys.size and \
                keys.max() >= np.size(gt_label):
            raise ValueError(
                f'{path}: its keys {keys.tolist()} index classes beyond the '
                f"dataset's {np.size(gt_label)} foreground classes (the "
                "image's label vector): a CAM of another dataset")
        if self.check_keys and gt_label is not None:
            expected = np.flatnonzero(np.asarray(gt_label) > 0)
            if sorted(keys.tolist()) != expected.tolist():
                raise ValueError(
                    f'{path}: its keys {keys.tolist()} are not the image\'s '
                    f'classes {expected.tolist()} (0-based foreground '
                    'indices): the CAM belongs to another image or dataset')
        results['cam'] = cam
        results['cam_keys'] = keys
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(cam_dir={self.cam_dir!r}, '
                f'key={self.key!r}, stride={self.stride}, '
                f'check_keys={self.check_keys})')
