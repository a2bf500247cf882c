"""No write goes through a symbolic link planted in a stage folder."""
import errno
import os
import re
import stat

import pytest

from rpnet_mmseg.fileio import (atomic_write, note_written, open_nofollow,
                                written_files)


def _victim(tmp_path):
    """A file outside the written folder, and its bytes."""
    victim = tmp_path / 'outside' / 'victim.txt'
    victim.parent.mkdir()
    victim.write_bytes(b'do not touch\n')
    return victim, victim.read_bytes()


def test_atomic_write_does_not_follow_a_planted_temporary_link(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    victim, before = _victim(tmp_path)
    # Where the writer's first temporary name is (.NAME.tmp.PID).
    link = out / f'.x.png.tmp.{os.getpid()}'
    link.symlink_to(victim)
    atomic_write(str(out / 'x.png'), lambda f: f.write(b'new'))
    assert victim.read_bytes() == before
    assert (out / 'x.png').read_bytes() == b'new'
    assert not (out / 'x.png').is_symlink()
    assert link.is_symlink()  # not the writer's: left alone
    assert sorted(os.listdir(out)) == sorted(['x.png', link.name])


def test_atomic_write_replaces_a_link_at_the_final_path(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    victim, before = _victim(tmp_path)
    (out / 'x.png').symlink_to(victim)
    atomic_write(str(out / 'x.png'), lambda f: f.write(b'new'))
    assert victim.read_bytes() == before
    assert not (out / 'x.png').is_symlink()
    assert (out / 'x.png').read_bytes() == b'new'


def test_finished_files_keep_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(str(tmp_path / 'x.bin'), lambda f: f.write(b'1'))
    finally:
        os.umask(umask)
    mode = stat.S_IMODE(os.stat(tmp_path / 'x.bin').st_mode)
    assert mode == 0o644  # 0o666 less the umask, as open(path, 'wb')


def test_manifest_link_is_refused_naming_it(tmp_path):
    out = tmp_path / 'cams'
    out.mkdir()
    victim, before = _victim(tmp_path)
    manifest = out / '.rpnet_written.rank0.txt'
    manifest.symlink_to(victim)
    with pytest.raises(OSError, match=re.escape(str(manifest)) +
                       '.*symbolic link.*not written') as err:
        note_written(str(out), ['a.npz'], writer='rank0')
    assert err.value.errno == errno.ELOOP
    assert victim.read_bytes() == before
    assert manifest.is_symlink()


def test_manifest_appends_as_before(tmp_path):
    note_written(str(tmp_path), ['a.npz'], writer='rank0')
    note_written(str(tmp_path), ['b.npz', 'c d.npz'], writer='rank0')
    assert (tmp_path / '.rpnet_written.rank0.txt').read_text() == \
        'a.npz\nb.npz\nc d.npz\n'
    assert written_files(str(tmp_path)) == {'a.npz', 'b.npz', 'c d.npz'}


def test_open_nofollow(tmp_path):
    victim, before = _victim(tmp_path)
    link = tmp_path / 'link'
    link.symlink_to(victim)
    with pytest.raises(OSError, match=re.escape(f"'{link}' is a symbolic")):
        open_nofollow(str(link), os.O_WRONLY | os.O_TRUNC)
    # O_EXCL: a link is an existing file, whatever it points at.
    with pytest.raises(FileExistsError):
        open_nofollow(str(link), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    assert victim.read_bytes() == before
    fd = open_nofollow(str(tmp_path / 'plain'), os.O_WRONLY | os.O_CREAT)
    with os.fdopen(fd, 'wb') as f:
        f.write(b'ok')
    assert (tmp_path / 'plain').read_bytes() == b'ok'
