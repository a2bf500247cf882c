"""Content fingerprints of stage outputs (a file or a folder of files).

A fingerprint lists every file with its size, modification time and sha1,
and sums them in one sha1 (the *content identity* a downstream stage
records as its input). Hidden files (provenance records, manifests,
temporary files) are bookkeeping, not content, and are left out.

Re-fingerprinting with the previous fingerprint at hand re-reads only the
files whose size or modification time changed, so checking that a VOC CAM
folder is intact costs a ``stat`` per file.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional

from ..fileio.provenance import file_sha1

__all__ = [
    'fingerprint', 'changed_files', 'content_sha1', 'listing_sha1',
    'path_digest'
]


def _visible_files(root: str) -> List[str]:
    """Relative paths of the non-hidden files under ``root``, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
        for name in filenames:
            if not name.startswith('.'):
                found.append(
                    osp.relpath(osp.join(dirpath, name), root).replace(
                        os.sep, '/'))
    return sorted(found)


def _entry(path: str, old: Optional[List]) -> List:
    """``[size, mtime_ns, sha1]`` of a file, reusing ``old`` when its
    size and mtime are unchanged."""
    st = os.stat(path)
    if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
        return list(old)
    return [st.st_size, st.st_mtime_ns, file_sha1(path)]


def content_sha1(files: Mapping[str, List]) -> str:
    """One sha1 over the names and file sha1s (not times) of a listing."""
    text = json.dumps({k: v[2] for k, v in sorted(files.items())})
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def fingerprint(path: str, previous: Optional[Mapping] = None) -> Dict:
    """Fingerprint a file or a folder.

    Args:
        path (str): A local file or folder.
        previous (dict, optional): An earlier fingerprint of the same path:
            files with its size and mtime are not re-read.

    Returns:
        dict: ``{"kind": "file" | "dir" | "missing", "files": {name:
        [size, mtime_ns, sha1]}, "sha1": content sha1}`` (a file is listed
        under its base name).
    """
    old = (previous or {}).get('files', {})
    if osp.isfile(path):
        name = osp.basename(path)
        files = {name: _entry(path, old.get(name))}
        kind = 'file'
    elif osp.isdir(path):
        files = {
            rel: _entry(osp.join(path, rel), old.get(rel))
            for rel in _visible_files(path)
        }
        kind = 'dir'
    else:
        return {'kind': 'missing', 'files': {}, 'sha1': None}
    return {'kind': kind, 'files': files, 'sha1': content_sha1(files)}


def changed_files(path: str, recorded: Mapping) -> List[str]:
    """Files of a recorded fingerprint that are gone or differ now.

    Compares sizes and mtimes first and re-reads only files whose stat
    changed, so a file merely touched is not reported. Files that appeared
    since are reported too.

    Args:
        path (str): The fingerprinted file or folder.
        recorded (dict): Its fingerprint when the stage finished.

    Returns:
        list[str]: Names (relative to a folder) that differ, sorted.
    """
    now = fingerprint(path, recorded)
    if now['kind'] != recorded.get('kind'):
        return sorted(set(now['files']) | set(recorded.get('files', {}))) \
            or [osp.basename(path)]
    before = recorded.get('files', {})
    names = set(now['files']) | set(before)
    return sorted(
        n for n in names if n not in now['files'] or n not in before
        or now['files'][n][2] != before[n][2])


def listing_sha1(path: str) -> Optional[str]:
    """A cheap identity of a folder's files: names, sizes and mtimes.

    Reads no file, so it costs a ``stat`` per file; any rewrite changes it
    (a file rewritten with the same bytes too).

    Args:
        path (str): A local folder.

    Returns:
        str | None: Hex digest, None if the folder does not exist.
    """
    if not osp.isdir(path):
        return None
    digest = hashlib.sha1()
    for rel in _visible_files(path):
        st = os.stat(osp.join(path, rel))
        digest.update(f'{rel}\0{st.st_size}\0{st.st_mtime_ns}\n'.encode())
    return digest.hexdigest()


def path_digest(path: str) -> str:
    """The identity of a data file or folder a run reads.

    A file by the sha1 of its bytes (``sha1:...``), a folder by
    :func:`listing_sha1` (``listing:...``: names, sizes and modification
    times, as make does), a missing path as ``missing``.

    Args:
        path (str): A local file or folder.

    Returns:
        str: The digest.
    """
    if osp.isdir(path):
        return f'listing:{listing_sha1(path)}'
    return f'sha1:{file_sha1(path)}' if osp.isfile(path) else 'missing'
