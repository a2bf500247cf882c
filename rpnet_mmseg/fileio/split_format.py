"""The split file: one image name (file stem) a line.

VOC's ``ImageSets/Segmentation/*.txt`` lists (and IRN's ``train_aug.txt``)
name the images of a split; every stage and tool reads them with
:func:`read_split`, through :func:`mmengine.fileio.list_from_file` (so a
split may live on any mmengine file backend). Surrounding white space is
dropped and blank lines are skipped.
"""
from typing import List, Optional

from mmengine import fileio

__all__ = ['read_split']


def read_split(path: str,
               backend_args: Optional[dict] = None,
               what: str = 'split file') -> List[str]:
    """The image names of a split file, in file order.

    Args:
        path (str): The split file.
        backend_args (dict, optional): Arguments of the mmengine file
            backend. Defaults to None.
        what (str): How errors name the file, e.g. ``'split file
            (ann_file)'`` for a dataset's. Defaults to 'split file'.

    Returns:
        list[str]: The names, one per non-blank line.

    Raises:
        FileNotFoundError: If ``path`` is no file (names it).
        ValueError: If it lists no name (names it).
    """
    if not path or not fileio.isfile(path, backend_args=backend_args):
        raise FileNotFoundError(f"{what} '{path}' does not exist")
    lines = fileio.list_from_file(path, backend_args=backend_args)
    names = [line.strip() for line in lines if line.strip()]
    if not names:
        raise ValueError(f"{what} '{path}' lists no image (it is empty): "
                         'one image name a line')
    return names
