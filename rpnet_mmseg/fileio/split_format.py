"""The split file: one image name (file stem) a line.

VOC's ``ImageSets/Segmentation/*.txt`` lists (and IRN's ``train_aug.txt``)
name the images of a split; every stage and tool reads them with
:func:`read_split`, through :func:`mmengine.fileio.list_from_file` (so a
split may live on any mmengine file backend). Surrounding white space is
dropped and blank lines are skipped. Every name must be a plain file stem
(:func:`check_image_name`), because the stages build file paths from it
(``out_dir/NAME.png``): a name such as ``../x`` would write outside the
stage folder.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine import fileio

__all__ = ['check_image_name', 'image_file', 'read_split', 'split_path']


def _name_problem(name: str) -> Optional[str]:
    """What makes ``name`` no plain file stem, or None if it is one."""
    if not isinstance(name, str):
        return f'is a {type(name).__name__}, not a string'
    if not name:
        return 'is empty'
    if '\0' in name:
        return 'contains a NUL character'
    if any(sep and sep in name for sep in ('/', os.sep, os.altsep)):
        return 'has a folder part (a path separator)'
    if name.startswith('.'):
        return ("starts with '.' (a hidden file, or the folder '.' or "
                "'..')")
    return None


def check_image_name(name: str, where: str) -> str:
    """Refuse an image name that is no plain file stem.

    Stages write ``FOLDER/NAME + suffix`` for every image, so a name must
    stay inside the folder: it may not be empty, contain a path separator
    (``/``, :data:`os.sep`, :data:`os.altsep`) or a NUL character, or start
    with ``'.'`` (which also refuses ``'.'`` and ``'..'``). Other characters
    (spaces included: users' photos have such names) are allowed.

    Args:
        name (str): The image name.
        where (str): Where the name comes from, for the error, e.g.
            ``"split file 'train.txt' line 3"``.

    Returns:
        str: ``name`` unchanged.

    Raises:
        ValueError: Naming ``where``, the name (repr) and the problem.
    """
    problem = _name_problem(name)
    if problem is not None:
        raise ValueError(f'{where}: image name {name!r} {problem}; an image '
                         'name is a file stem without a folder part')
    return name


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
        ValueError: If it lists no name (names it), or a name that is no
            plain file stem (:func:`check_image_name`; names the file, the
            line number and the name).
    """
    if not path or not fileio.isfile(path, backend_args=backend_args):
        raise FileNotFoundError(f"{what} '{path}' does not exist")
    lines = fileio.list_from_file(path, backend_args=backend_args)
    names = [
        check_image_name(line.strip(), f"{what} '{path}' line {lineno}")
        for lineno, line in enumerate(lines, start=1) if line.strip()
    ]
    if not names:
        raise ValueError(f"{what} '{path}' lists no image (it is empty): "
                         'one image name a line')
    return names


def split_path(data_root: str, path: str) -> str:
    """Where a split file given relative to a dataset lies.

    Absolute paths are kept; a relative one is under ``data_root``, or,
    when no such file is there, relative to the working directory (the
    split files a pipeline writes into its run folder, e.g.
    ``work_dirs/x/splits/train.txt``).

    Args:
        data_root (str): The dataset folder.
        path (str): The split file as configured.

    Returns:
        str: The path to read (the one under ``data_root`` when neither
        exists, so that the error names it).
    """
    if not path or osp.isabs(path) or not data_root:
        return path
    under = osp.join(data_root, path)
    if not fileio.exists(under) and osp.isfile(path):
        return path
    return under


def image_file(folder: str,
               name: str,
               suffix: Union[str, Sequence[str]],
               backend_args: Optional[dict] = None) -> str:
    """The file of image ``name`` in ``folder``.

    Args:
        folder (str): The image folder.
        name (str): The image name (file stem).
        suffix (str | Sequence[str]): Its suffix, or the suffixes to try in
            order (a folder of photos mixes ``.jpg`` and ``.png``).
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        str: ``folder/NAME+SUFFIX``: the first that exists, else the first
        candidate (so that an error names it).
    """
    suffixes = [suffix] if isinstance(suffix, str) else list(suffix)
    paths = [osp.join(folder, name + s) for s in suffixes]
    if len(paths) > 1:
        for path in paths:
            if fileio.exists(path, backend_args=backend_args):
                return path
    return paths[0]
