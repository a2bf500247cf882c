"""pipeline.fingerprint: data folders are identified by their content."""
import importlib
import json
import os
import shutil

import pytest

# the module (the package exports its function of the same name)
fp = importlib.import_module('rpnet_mmseg.pipeline.fingerprint')


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A digest cache of the test's own."""
    monkeypatch.setenv(fp.CACHE_ENV, str(tmp_path / 'cache'))
    return tmp_path / 'cache' / 'folder_digests.json'


def _folder(root):
    root.mkdir()
    (root / 'a.jpg').write_bytes(b'first image')
    (root / 'sub').mkdir()
    (root / 'sub' / 'b.jpg').write_bytes(b'second')
    return root


def test_a_copy_with_new_times_has_the_same_digest(tmp_path, cache):
    images = _folder(tmp_path / 'images')
    digest = fp.path_digest(str(images))
    assert digest.startswith('content:')
    copy = tmp_path / 'copy'
    shutil.copytree(images, copy, copy_function=shutil.copyfile)  # new times
    for path in (copy / 'a.jpg', copy / 'sub' / 'b.jpg'):
        os.utime(path, ns=(1, 1))
    assert fp.listing_sha1(str(copy)) != fp.listing_sha1(str(images))
    assert fp.path_digest(str(copy)) == digest
    (copy / 'a.jpg').write_bytes(b'first imagE')  # same size, new bytes
    assert fp.path_digest(str(copy)) != digest
    (copy / 'a.jpg').write_bytes(b'first image')
    (copy / 'c.jpg').write_bytes(b'')  # one more file
    assert fp.path_digest(str(copy)) != digest


def test_an_unchanged_listing_reads_no_file(tmp_path, cache, monkeypatch):
    images = _folder(tmp_path / 'images')
    digest = fp.folder_digest(str(images))
    assert json.loads(cache.read_text())[str(images)] == [
        fp.listing_sha1(str(images)), digest]

    def no_reading(*args, **kwargs):
        raise AssertionError('a file was read')

    monkeypatch.setattr(fp, 'fingerprint', no_reading)
    assert fp.folder_digest(str(images)) == digest
    os.utime(images / 'a.jpg', ns=(5, 5))  # touched: read again
    with pytest.raises(AssertionError, match='read'):
        fp.folder_digest(str(images))


@pytest.mark.parametrize('text', ['{not json', '[1, 2]', '{"x": 3}',
                                  '{"%s": ["forged", 5]}'])
def test_a_damaged_cache_is_ignored(tmp_path, cache, text):
    images = _folder(tmp_path / 'images')
    truth = fp.fingerprint(str(images))['sha1']
    cache.parent.mkdir()
    cache.write_text(text.replace('%s', str(images)))
    assert fp.folder_digest(str(images)) == truth
    assert json.loads(cache.read_text())[str(images)][1] == truth


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    images = _folder(tmp_path / 'images')
    blocker = tmp_path / 'file'
    blocker.write_text('')
    monkeypatch.setenv(fp.CACHE_ENV, str(blocker / 'cache'))
    assert fp.folder_digest(str(images)) == fp.fingerprint(
        str(images))['sha1']


def test_processes_wait_for_the_one_reading(tmp_path, cache):
    """A second process asking for a folder that one is reading waits for
    the cache's lock and takes the digest the first one left."""
    import fcntl
    import subprocess
    import sys
    import time
    images = _folder(tmp_path / 'images')
    cache.parent.mkdir()
    ask = ('import importlib, sys; fp = importlib.import_module('
           "'rpnet_mmseg.pipeline.fingerprint'); "
           'print(fp.folder_digest(sys.argv[1]))')
    with open(str(cache) + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # this process is reading
        child = subprocess.Popen([sys.executable, '-c', ask, str(images)],
                                 stdout=subprocess.PIPE, text=True,
                                 env=dict(os.environ))
        deadline = time.time() + 60
        while child.poll() is None and time.time() < deadline and not \
                _waits_on_lock(child.pid):
            time.sleep(0.05)
        assert child.poll() is None and _waits_on_lock(child.pid)
        cache.write_text(json.dumps({str(images): [
            fp.listing_sha1(str(images)), 'left by the reader']}))
    out, _ = child.communicate(timeout=60)
    assert out.strip() == 'left by the reader'


def _waits_on_lock(pid):
    """Whether a process is blocked in flock (Linux: its wchan)."""
    try:
        with open(f'/proc/{pid}/wchan') as f:
            return 'lock' in f.read()
    except OSError:
        return False
