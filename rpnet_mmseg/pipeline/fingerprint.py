"""Content fingerprints of stage outputs (a file or a folder of files).

A fingerprint lists every file with its size, modification time and sha1,
and sums them in one sha1 (the *content identity* a downstream stage
records as its input). Hidden files (provenance records, manifests,
temporary files) are bookkeeping, not content, and are left out.

Re-fingerprinting with the previous fingerprint at hand re-reads only the
files whose size or modification time changed, so checking that a VOC CAM
folder is intact costs a ``stat`` per file.

The data a run reads is identified the same way (:func:`path_digest`): a
file by its sha1, a folder by the content sha1 of its files, kept in a
cache of the user's beside the folder's listing so that it is read once
per change, not once per run.
"""
import fcntl
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional

from ..fileio.atomic import open_nofollow, save_json_atomic
from ..fileio.provenance import file_sha1

__all__ = [
    'fingerprint', 'changed_files', 'content_sha1', 'listing_sha1',
    'folder_digest', 'path_digest', 'CACHE_ENV'
]

# The environment variable naming the folder of the digest cache.
CACHE_ENV = 'RPNET_MMSEG_CACHE'
_CACHE_MAX_BYTES = 64 << 20


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


def _cache_file() -> str:
    """Where folder digests are kept: ``$RPNET_MMSEG_CACHE``, else
    ``$XDG_CACHE_HOME/rpnet_mmseg`` (``~/.cache/rpnet_mmseg``)."""
    root = os.environ.get(CACHE_ENV) or osp.join(
        os.environ.get('XDG_CACHE_HOME')
        or osp.join(osp.expanduser('~'), '.cache'), 'rpnet_mmseg')
    return osp.join(root, 'folder_digests.json')


def _read_cache(path: str) -> Dict[str, List[str]]:
    """The cache's ``realpath -> [listing sha1, content sha1]`` entries
    (an unreadable, oversized or malformed cache is empty)."""
    try:
        if os.path.getsize(path) > _CACHE_MAX_BYTES:
            return {}
        with open(path, encoding='utf-8') as f:
            cache = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict):
        return {}
    return {k: v for k, v in cache.items() if isinstance(v, list)
            and len(v) == 2 and all(isinstance(x, str) for x in v)}


def folder_digest(path: str) -> str:
    """The content sha1 of a folder's files (:func:`fingerprint`), read once.

    The digest is kept with the folder's listing (names, sizes, modification
    times) in a cache of the user's (:data:`CACHE_ENV`): while the listing
    is the same, a ``stat`` per file is all it costs. A folder copied with
    new times, or touched, is read again and has the same digest, so the
    outputs made from it are still reused; a replaced file changes it. The
    processes of one machine read a folder once: the others wait for the
    cache's lock and take the digest it holds.

    Args:
        path (str): A local folder.

    Returns:
        str: Hex digest.
    """
    listing = listing_sha1(path)
    cache_file, key = _cache_file(), osp.realpath(path)
    cache = _read_cache(cache_file)
    if cache.get(key, [None])[0] == listing:
        return cache[key][1]
    try:
        os.makedirs(osp.dirname(cache_file), exist_ok=True)
        lock = open_nofollow(cache_file + '.lock', os.O_RDWR | os.O_CREAT)
    except OSError:  # a read-only home: computed here, every time
        return fingerprint(path)['sha1']
    with os.fdopen(lock) as f:
        # The processes of a distributed run ask at once: one reads the
        # folder, the others wait for it and take its digest.
        fcntl.flock(f, fcntl.LOCK_EX)
        cache = _read_cache(cache_file)
        if cache.get(key, [None])[0] == listing:
            return cache[key][1]
        digest = fingerprint(path)['sha1']
        cache[key] = [listing, digest]
        try:
            save_json_atomic(cache_file, cache)
        except OSError:  # a full disk: computed again next time
            pass
    return digest


def path_digest(path: str) -> str:
    """The identity of a data file or folder a run reads.

    A file by the sha1 of its bytes (``sha1:...``), a folder by the sha1 of
    its files' names and bytes (``content:...``, :func:`folder_digest`), a
    missing path as ``missing``.

    Args:
        path (str): A local file or folder.

    Returns:
        str: The digest.
    """
    if osp.isdir(path):
        return f'content:{folder_digest(path)}'
    return f'sha1:{file_sha1(path)}' if osp.isfile(path) else 'missing'
