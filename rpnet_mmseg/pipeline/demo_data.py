"""Where the CPU demo finds its data (MSRC-v2 in VOC layout, ``msrc_voc``).

Order: the ``--data-root`` value, else the ``RPNET_DEMO_DATA`` environment
variable, else the first existing of ``data/msrc_voc`` and
``../shared/data/msrc_voc`` (relative to the repository root). When none
exists, the error says how to build the data from the public MSRC-v2
release with ``tools/dataset_converters/msrc_v2.py``.

The shipped MSRC-VOC configs read ``data/msrc_voc`` (mmseg's ``data/``
convention). :func:`link_demo_data_root` makes that path exist when only
another default holds the data: ``data/msrc_voc`` becomes a relative
symbolic link to it (``data/`` is git-ignored). ``tools/run_demo.py`` does
this when no folder is given, so that every tool run on a shipped config
finds the same data.
"""
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

__all__ = [
    'resolve_demo_data_root', 'link_demo_data_root', 'DEMO_DATA_ENV',
    'DEMO_DATA_CANDIDATES', 'PREPARE_DEMO_DATA'
]

DEMO_DATA_ENV = 'RPNET_DEMO_DATA'
# Relative to the repository root, in order of preference; the first is the
# shipped configs' data_root (what link_demo_data_root links).
DEMO_DATA_CANDIDATES = ('data/msrc_voc', '../shared/data/msrc_voc')
# What a demo data folder must hold; 'a|b' accepts either entry (the label
# file, or IRN's pickled one that rpnet_mmseg.fileio.load_cls_labels also
# reads).
REQUIRED_ENTRIES = ('JPEGImages', 'ImageSets/Segmentation',
                    'cls_labels.npz|cls_labels.npy')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MSRC_V2_URL = ('http://download.microsoft.com/download/3/3/9/'
               '339D8A24-47D7-412F-A1E8-1A415BC48A15/'
               'msrc_objcategimagedatabase_v2.zip')
MSRC_V2_PAGE = ('https://www.microsoft.com/en-us/research/project/'
                'image-understanding/')
CLEANED_MASKS_URL = 'http://www.cs.cmu.edu/~tmalisie/projects/bmvc07/'
PREPARE_DEMO_DATA = f"""\
Prepare it from the public MSRC-v2 release (non-commercial research use):
  1. download {MSRC_V2_URL}
     (page: {MSRC_V2_PAGE})
     and extract it into data/ (gives data/MSRC_ObjCategImageDatabase_v2/);
  2. optional, the masks the demo's numbers were measured with: the
     cleaned-up masks of Malisiewicz & Efros (BMVC 2007), {CLEANED_MASKS_URL},
     extracted to data/newsegmentations_mats/;
  3. from the repository root run
     python tools/dataset_converters/msrc_v2.py \\
         data/MSRC_ObjCategImageDatabase_v2 -o data/msrc_voc \\
         [--cleaned-masks data/newsegmentations_mats]
Or point the demo at an existing copy: --data-root DIR or
{DEMO_DATA_ENV}=DIR."""


def _check_complete(root: str, source: str) -> str:
    """Return ``root`` (absolute) if it holds the demo layout, else raise."""
    missing = [
        ' or '.join(e.split('|')) for e in REQUIRED_ENTRIES
        if not any(osp.exists(osp.join(root, alt)) for alt in e.split('|'))
    ]
    if missing:
        raise FileNotFoundError(
            f"demo data folder '{root}' (from {source}) lacks "
            f"{', '.join(missing)}: it is not a finished msrc_voc folder.\n"
            + PREPARE_DEMO_DATA)
    return osp.abspath(root)


def _first_candidate(repo_root: str,
                     candidates: Sequence[str]) -> Tuple[str, str]:
    """The first existing default folder, checked to be complete.

    Args:
        repo_root (str): Folder the candidates are relative to.
        candidates (Sequence[str]): Default folders, in order.

    Returns:
        tuple[str, str]: The candidate as given and its absolute path.

    Raises:
        FileNotFoundError: If none exists; the message says how to prepare
            the data.
    """
    for candidate in candidates:
        path = osp.normpath(osp.join(repo_root, candidate))
        if osp.isdir(path):
            return candidate, _check_complete(
                path, f"the default '{candidate}'")
    tried = ', '.join(
        osp.normpath(osp.join(repo_root, c)) for c in candidates)
    raise FileNotFoundError(
        f'demo data not found: no --data-root, no {DEMO_DATA_ENV}, and none '
        f'of {tried} exists.\n' + PREPARE_DEMO_DATA)


def link_demo_data_root(
        repo_root: str = REPO_ROOT,
        candidates: Sequence[str] = DEMO_DATA_CANDIDATES) -> str:
    """Make the configs' data folder ``candidates[0]`` exist, by a link.

    An existing ``data/msrc_voc`` (folder or link) is used as it is. When it
    does not exist, it becomes a relative symbolic link to the first
    existing of the other candidates (``../../shared/data/msrc_voc`` for
    ``../shared/data/msrc_voc``); a dangling link there is replaced.

    Args:
        repo_root (str): Folder the candidates are relative to. Defaults to
            this repository's root.
        candidates (Sequence[str]): Default folders, in order; the first is
            the one made to exist. Defaults to
            ``('data/msrc_voc', '../shared/data/msrc_voc')``.

    Returns:
        str: Absolute path of ``candidates[0]`` (not resolved through the
        link).

    Raises:
        FileNotFoundError: If no candidate exists or the first existing one
            is incomplete; the message says how to prepare the data.
        FileExistsError: If ``candidates[0]`` is a file, not a folder.
    """
    link = osp.normpath(osp.join(repo_root, candidates[0]))
    candidate, target = _first_candidate(repo_root, candidates)
    if candidate == candidates[0]:
        return target
    if osp.lexists(link) and not osp.islink(link):
        raise FileExistsError(
            f"'{link}' exists and is not a folder: remove it to link the "
            f"demo data ({target}) there, or give the folder explicitly.")
    os.makedirs(osp.dirname(link), exist_ok=True)
    if osp.islink(link):
        os.remove(link)  # dangling: osp.isdir was False above
    try:
        os.symlink(osp.relpath(target, osp.dirname(link)), link)
    except FileExistsError:
        if not osp.isdir(link):  # not another process's identical link
            raise
    return _check_complete(link, f"the link '{candidates[0]}'")


def resolve_demo_data_root(cli_value: Optional[str] = None,
                           repo_root: str = REPO_ROOT,
                           candidates: Sequence[str] = DEMO_DATA_CANDIDATES,
                           environ: Optional[dict] = None,
                           link: bool = False) -> str:
    """Find the demo's data folder.

    Args:
        cli_value (str, optional): The ``--data-root`` value. Defaults to
            None.
        repo_root (str): Folder the candidates are relative to. Defaults to
            this repository's root.
        candidates (Sequence[str]): Default folders, in order. Defaults to
            ``('data/msrc_voc', '../shared/data/msrc_voc')``.
        environ (dict, optional): Environment to read ``RPNET_DEMO_DATA``
            from. Defaults to ``os.environ``.
        link (bool): When the folder comes from the defaults, return
            ``candidates[0]``, linked to the folder found if it does not
            exist (:func:`link_demo_data_root`). Defaults to False.

    Returns:
        str: Absolute path of the data folder.

    Raises:
        FileNotFoundError: If the folder given by ``cli_value`` or the
            environment variable does not exist or is incomplete, or if no
            candidate exists; the message says how to prepare the data.
    """
    environ = os.environ if environ is None else environ
    if cli_value:
        if not osp.isdir(cli_value):
            raise FileNotFoundError(
                f"--data-root '{cli_value}' is not a folder.\n" +
                PREPARE_DEMO_DATA)
        return _check_complete(cli_value, '--data-root')
    env_value = environ.get(DEMO_DATA_ENV)
    if env_value:
        if not osp.isdir(env_value):
            raise FileNotFoundError(
                f"{DEMO_DATA_ENV}='{env_value}' is not a folder.\n" +
                PREPARE_DEMO_DATA)
        return _check_complete(env_value, DEMO_DATA_ENV)
    if link:
        return link_demo_data_root(repo_root, candidates)
    return _first_candidate(repo_root, candidates)[1]
