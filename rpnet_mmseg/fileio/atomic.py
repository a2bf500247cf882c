"""Atomic writes: readers see either no file or the whole file.

Writing is local-disk only, because atomicity relies on :func:`os.replace`
within one directory; readers elsewhere in the package go through
:mod:`mmengine.fileio`, so finished files may be read from any backend.
No write goes through a symbolic link: temporary files are created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` (:func:`open_nofollow`), and
:func:`os.replace` replaces a link at the final path instead of its target.
"""
import errno
import json
import os
import os.path as osp
import re
import secrets
import time
from typing import IO, Any, Callable, List, Mapping, Tuple

import numpy as np

# ``.NAME.tmp.PID`` (a writer's first choice) or ``.NAME.tmp.PID.RANDOM``
# (where that name is taken): the temporary file of one writer process.
_TMP_PATTERN = re.compile(
    r'^\.(?P<name>.+)\.tmp\.(?P<pid>\d+)(?:\.[0-9a-f]{8})?$')
# How many random temporary names a writer tries after ``.NAME.tmp.PID``.
_TMP_TRIES = 100


def open_nofollow(path: str, flags: int, mode: int = 0o644) -> int:
    """:func:`os.open` that refuses to open ``path`` through a symbolic link.

    ``O_NOFOLLOW`` (and ``O_CLOEXEC``) are added to ``flags``, so a link
    planted at ``path`` (its last component; links among the folders above
    it are followed as usual) is never written through. With ``O_CREAT |
    O_EXCL`` a link at ``path`` fails with :class:`FileExistsError` instead,
    as any existing file does.

    Args:
        path (str): Local path.
        flags (int): ``os.O_*`` flags, e.g. ``os.O_WRONLY | os.O_APPEND |
            os.O_CREAT``.
        mode (int): Permissions of a created file, before the umask.
            Defaults to 0o644.

    Returns:
        int: The file descriptor (wrap it with :func:`os.fdopen`).

    Raises:
        OSError: With ``errno.ELOOP`` if ``path`` is a symbolic link (the
            message names it); any other error of :func:`os.open`.
    """
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        raise OSError(
            errno.ELOOP, f"'{path}' is a symbolic link and is not written "
            'through: remove the link (or write elsewhere)') from e


def tmp_path_for(path: str) -> str:
    """Return the temporary path this process first tries for ``path``.

    Args:
        path (str): Final local path.

    Returns:
        str: ``DIR/.NAME.tmp.PID`` next to ``path``.
    """
    dirname, basename = osp.split(osp.abspath(path))
    return osp.join(dirname, f'.{basename}.tmp.{os.getpid()}')


def create_tmp(path: str) -> Tuple[int, str]:
    """Create a new temporary file for ``path``, never through a link.

    Tries ``.NAME.tmp.PID`` (:func:`tmp_path_for`), then random names
    ``.NAME.tmp.PID.RANDOM``; each is created with ``O_CREAT | O_EXCL |
    O_NOFOLLOW``, so an existing file or link there is never opened. The
    file gets the permissions ``open(path, 'wb')`` would give (0o666 less
    the umask).

    Returns:
        tuple[int, str]: The open file descriptor and the temporary path.

    Raises:
        FileExistsError: If every name tried exists (names ``path``).
    """
    first = tmp_path_for(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    candidates = [first] + [
        f'{first}.{secrets.token_hex(4)}' for _ in range(_TMP_TRIES)
    ]
    for tmp_path in candidates:
        try:
            return open_nofollow(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(
        f"{path}: no free temporary name: '{first}' and {_TMP_TRIES} "
        'random variants of it exist')


def atomic_write(path: str, write_fn: Callable[[IO[bytes]], None]) -> None:
    """Write a file so that readers see either nothing or the whole file.

    ``write_fn`` writes into a new temporary file ``.NAME.tmp.<pid>`` in the
    same directory (``.NAME.tmp.<pid>.<random>`` where that name is taken,
    e.g. by a planted link: :func:`create_tmp`); the file is flushed and
    fsync'ed, then renamed onto ``path`` with :func:`os.replace` (atomic on
    POSIX within one filesystem; a link at ``path`` is replaced, its target
    untouched). On any error (a ``KeyboardInterrupt`` included) the
    temporary file is removed and ``path`` is left untouched; a process
    killed outright may leave the temporary file behind, never a partial
    ``path`` (see :func:`remove_stale_tmp_files`). The pid in the temporary
    name keeps concurrent writers (e.g. the ranks of a distributed test run)
    from sharing a temporary file.

    Args:
        path (str): Final local path; its directory is created if needed.
        write_fn (Callable[[IO[bytes]], None]): Writes the content into the
            binary file object it is given.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp_path = create_tmp(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.remove(tmp_path)
        except FileNotFoundError:
            pass
        raise


def save_npz_atomic(path: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Atomically write plain arrays to an uncompressed ``.npz`` archive.

    The archive is readable with ``np.load(path, allow_pickle=False)``:
    object arrays (which ``np.savez`` would pickle) are refused.

    Args:
        path (str): Final local path, normally ending with ``.npz``.
        arrays (Mapping[str, np.ndarray]): Array name -> array (anything
            ``np.asarray`` turns into a non-object array).

    Raises:
        TypeError: If an array would need pickling (the message names the
            file and the array).
    """
    plain = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(f"{path}: array '{key}' has dtype object, which "
                            'cannot be saved without pickle; give numeric '
                            'or string arrays')
        plain[key] = array
    atomic_write(path, lambda f: np.savez(f, **plain))


def save_text_atomic(path: str, text: str) -> None:
    """Atomically write a UTF-8 text file.

    Args:
        path (str): Final local path.
        text (str): The content.
    """
    atomic_write(path, lambda f: f.write(text.encode('utf-8')))


def save_json_atomic(path: str, obj: Any, **dump_kwargs: Any) -> None:
    """Atomically write ``obj`` as indented JSON (a tool's report).

    Args:
        path (str): Final local path.
        obj: A JSON-serialisable object.
        **dump_kwargs: Options of ``json.dumps`` (default ``indent=2``).
    """
    dump_kwargs.setdefault('indent', 2)
    save_text_atomic(path, json.dumps(obj, **dump_kwargs))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie does not).

    Args:
        pid (int): Process id.

    Returns:
        bool: False if no such process exists or it has ended and waits to
        be reaped.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[-1].split()[0] != 'Z'
    except (FileNotFoundError, ProcessLookupError):  # reaped meanwhile
        return False
    except (OSError, IndexError):  # no procfs: trust kill(0)
        return True


def remove_stale_tmp_files(dirname: str, min_age_s: float = 600.) -> List[str]:
    """Remove temporary files that killed writers left in ``dirname``.

    A file ``.NAME.tmp.PID`` (or ``.NAME.tmp.PID.RANDOM``, see
    :func:`atomic_write`) is removed only if no process ``PID`` runs on
    this machine AND it was last modified more than ``min_age_s`` seconds
    ago; the age guard protects writers on other machines that share the
    folder (their pids mean nothing here). Finished files are never
    touched.

    Args:
        dirname (str): Local directory to clean.
        min_age_s (float): Minimum age of a removed file in seconds.
            Defaults to 600.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    if not osp.isdir(dirname):
        return removed
    now = time.time()
    for entry in os.scandir(dirname):
        match = _TMP_PATTERN.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match.group('pid'))
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # finished meanwhile
            continue
        if pid != os.getpid() and not pid_alive(pid) and age >= min_age_s:
            try:
                os.remove(entry.path)
                removed.append(entry.path)
            except FileNotFoundError:
                pass
    return removed
