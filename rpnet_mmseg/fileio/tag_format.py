"""Image-level tags of a folder of photos: a CSV or mmpretrain's file.

A user's own data is a folder of images tagged per image (see
``docs/en/data.md``, "Your own data")::

    DIR/images/NAME.jpg|.png       DIR/classes.txt    (optional order)
    DIR/labels.csv  or  DIR/labels.json

``labels.csv`` has the header ``image,labels``; ``image`` is a file name
of ``images/`` (with or without its suffix) and ``labels`` its tags, class
names separated by spaces or ``;`` (empty: background only).
``labels.json`` is mmpretrain's multi-label annotation file (OpenMMLab 2.0
format: ``metainfo.classes`` and a ``data_list`` of ``img_path`` +
``gt_label`` class indices), so a dataset prepared for mmpretrain is read
as it is.

The foreground classes, in label-vector order, are those of
``classes.txt`` (one name a line) when it exists, else the JSON's
``metainfo.classes``, else the sorted tag names. A class name is one word
(no white space, no ``;``) and not ``background``, which is class 0 of
every label map. Files are parsed as data (:mod:`csv`, :mod:`json`), at
most :data:`MAX_TAG_FILE_BYTES` each.

:func:`read_tag_file` returns a :class:`TagTable`: its problems (tags not
in ``classes.txt``, an image named twice) are listed, not raised, so that
``tools/check_dataset.py`` can name them all; :func:`tag_vectors` turns a
table without problems into the ``{NAME: multi-hot}`` dict that
:func:`rpnet_mmseg.fileio.load_cls_labels` returns for every label file.
"""
import csv
import io
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine import fileio

from .split_format import check_image_name

__all__ = [
    'CLASSES_FILE', 'IMAGE_SUFFIXES', 'TAG_FILES', 'TagTable',
    'find_tag_file', 'image_stem', 'is_tag_file', 'read_classes_file',
    'read_tag_file', 'tag_vectors'
]

TAG_FILES = ('labels.csv', 'labels.json')
CLASSES_FILE = 'classes.txt'
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.JPG', '.JPEG', '.PNG')
MAX_TAG_FILE_BYTES = 256 << 20
_TAG_SEPARATORS = re.compile(r'[;\s]+')

Problem = Tuple[str, str]


@dataclass
class TagTable:
    """The tags of a folder.

    Attributes:
        path (str): The tag file.
        classes (list[str]): Foreground classes, in label-vector order.
        tags (dict[str, list[str]]): Image name (file stem) -> its tags.
        problems (list[tuple[str, str]]): ``(kind, message)`` of every row
            that cannot be used; messages name the file and the image.
    """
    path: str
    classes: List[str]
    tags: Dict[str, List[str]] = field(default_factory=dict)
    problems: List[Problem] = field(default_factory=list)


def is_tag_file(path: str) -> bool:
    """Whether ``path`` names a tag file (``.csv`` or ``.json``)."""
    return path.lower().endswith(('.csv', '.json'))


def find_tag_file(data_root: str) -> str:
    """``DATA_ROOT/labels.csv``, else ``DATA_ROOT/labels.json``.

    Raises:
        FileNotFoundError: If neither exists (names both).
    """
    paths = [osp.join(data_root, name) for name in TAG_FILES]
    for path in paths:
        if fileio.isfile(path):
            return path
    raise FileNotFoundError(f'no tag file in {data_root}: expected '
                            f'{" or ".join(paths)} (docs/en/data.md, "Your '
                            'own data")')


def image_stem(entry: str, where: str) -> str:
    """The image name of a tag row: its file name without an image suffix.

    Args:
        entry (str): ``NAME.jpg``, ``NAME`` or ``images/NAME.jpg`` (the
            folder part of mmpretrain's ``img_path`` is dropped).
        where (str): The row, for errors.

    Returns:
        str: The file stem (:func:`check_image_name`).
    """
    name = entry.strip().replace('\\', '/').split('/')[-1]
    stem, ext = osp.splitext(name)
    if ext in IMAGE_SUFFIXES:
        name = stem
    return check_image_name(name, where)


def _read_text(path: str) -> str:
    """A small text file's content (size checked first, BOM dropped)."""
    if not fileio.isfile(path):
        raise FileNotFoundError(f"tag file '{path}' does not exist")
    size = osp.getsize(path) if osp.isfile(path) else None
    if size is not None and size > MAX_TAG_FILE_BYTES:
        raise ValueError(f'{path}: {size} bytes, over the '
                         f'{MAX_TAG_FILE_BYTES} of a tag file')
    raw = fileio.get(path)
    if len(raw) > MAX_TAG_FILE_BYTES:
        raise ValueError(f'{path}: over the {MAX_TAG_FILE_BYTES} bytes of a '
                         'tag file')
    try:
        return raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: not UTF-8 text ({e})') from None


def _check_class_names(names: Sequence[str], where: str) -> List[str]:
    """Refuse empty, repeated or multi-word class names, and background."""
    seen = set()
    for name in names:
        if not isinstance(name, str) or not name or _TAG_SEPARATORS.search(
                name) or name == 'background':
            raise ValueError(
                f'{where}: class name {name!r} is not a single word without '
                "';' (and not 'background', which is class 0)")
        if name in seen:
            raise ValueError(f'{where}: class {name!r} is listed twice')
        seen.add(name)
    if not names:
        raise ValueError(f'{where}: no class')
    return list(names)


def read_classes_file(path: str) -> List[str]:
    """The foreground classes of ``classes.txt``, one name a line.

    Raises:
        ValueError: If a name is repeated, has white space or ``;``, or is
            ``background``; or the file lists none (names the file).
    """
    names = [line.strip() for line in _read_text(path).splitlines()]
    return _check_class_names([n for n in names if n], f"'{path}'")


def _rows_from_csv(text: str, path: str) -> List[Tuple[str, List[str]]]:
    """``(image, tags)`` rows of a ``image,labels`` CSV."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != [
            'image', 'labels'
    ]:
        raise ValueError(f"{path}: the first line must be the header "
                         f"'image,labels', got {header!r}")
    rows = []
    for row in reader:
        if not row or not ''.join(row).strip():
            continue
        if len(row) != 2:
            raise ValueError(f'{path} line {reader.line_num}: expected 2 '
                             f'columns (image, labels), got {row!r}')
        tags = [t for t in _TAG_SEPARATORS.split(row[1].strip()) if t]
        rows.append((image_stem(row[0], f'{path} line {reader.line_num}'),
                     tags))
    return rows


def _rows_from_json(text: str,
                    path: str) -> Tuple[List[str], List[Tuple[str, List]]]:
    """Classes and ``(image, tags)`` rows of mmpretrain's annotation file."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ValueError(f'{path}: not JSON ({e})') from None
    if not isinstance(data, dict) or not isinstance(
            data.get('metainfo'), dict) or not isinstance(
                data.get('data_list'), list):
        raise ValueError(f'{path}: expected mmpretrain\'s annotation format, '
                         'an object with "metainfo" {"classes": [...]} and '
                         '"data_list" [{"img_path", "gt_label"}, ...]')
    classes = data['metainfo'].get('classes')
    if not isinstance(classes, list):
        raise ValueError(f'{path}: metainfo.classes must be a list of names')
    classes = _check_class_names(classes, f'{path} metainfo.classes')
    rows = []
    for i, entry in enumerate(data['data_list']):
        where = f'{path} data_list[{i}]'
        if not isinstance(entry, dict) or not isinstance(
                entry.get('img_path'), str):
            raise ValueError(f'{where}: needs a string "img_path"')
        labels = entry.get('gt_label', [])
        labels = [labels] if isinstance(labels, int) else labels
        if not isinstance(labels, list) or not all(
                isinstance(v, int) and not isinstance(v, bool)
                and 0 <= v < len(classes) for v in labels):
            raise ValueError(f'{where}: gt_label must be class indices in '
                             f'[0, {len(classes)}), got {labels!r}')
        rows.append((image_stem(entry['img_path'], where),
                     [classes[v] for v in labels]))
    return classes, rows


def read_tag_file(path: str, classes_file: Optional[str] = None) -> TagTable:
    """Read a folder's tags (see the module docstring).

    Args:
        path (str): ``labels.csv`` or mmpretrain's ``.json``.
        classes_file (str, optional): ``classes.txt``; used when it
            exists. Defaults to None.

    Returns:
        TagTable: The classes and the tags, with the problems listed.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If a file is malformed (names the file and the line
            or entry).
    """
    text = _read_text(path)
    if path.lower().endswith('.json'):
        classes, rows = _rows_from_json(text, path)
    else:
        classes, rows = None, _rows_from_csv(text, path)
    if classes_file and fileio.isfile(classes_file):
        classes = read_classes_file(classes_file)
        origin = f"'{classes_file}'"
    elif classes is None:
        classes = sorted({t for _, tags in rows for t in tags})
        if not classes:
            raise ValueError(f'{path}: no image has a tag, so there is no '
                             'class to learn')
        classes = _check_class_names(classes, f"tags of '{path}'")
        origin = None
    else:
        origin = f"metainfo.classes of '{path}'"
    table = TagTable(path=path, classes=classes)
    known = set(classes)
    for name, tags in rows:
        if name in table.tags:
            table.problems.append(
                ('duplicate name',
                 f"{path}: image '{name}' has two rows (or two files with "
                 'the same name and another suffix)'))
            continue
        unknown = sorted(set(tags) - known)
        if unknown:
            table.problems.append(
                ('unknown tag', f"{path}: image '{name}' has tag(s) "
                 f'{unknown} not in {origin}'))
        table.tags[name] = list(dict.fromkeys(tags))
    return table


def tag_vectors(table: TagTable) -> Dict[str, np.ndarray]:
    """The multi-hot label vectors of a table without problems.

    Returns:
        dict[str, np.ndarray]: Image name -> float32 vector over
        ``table.classes``, in file order.

    Raises:
        ValueError: If the table has problems (the first ones named).
    """
    if table.problems:
        shown = '; '.join(m for _, m in table.problems[:3])
        more = len(table.problems) - 3
        raise ValueError(shown + (f' (and {more} more problem(s); '
                                  'tools/check_dataset.py lists them)'
                                  if more > 0 else ''))
    index = {c: i for i, c in enumerate(table.classes)}
    vectors = {}
    for name, tags in table.tags.items():
        vector = np.zeros(len(table.classes), np.float32)
        vector[[index[t] for t in tags]] = 1
        vectors[name] = vector
    return vectors
