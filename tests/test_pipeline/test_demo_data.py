"""Tests of rpnet_mmseg.pipeline.demo_data: where the demo's data is found,
and the ``data/msrc_voc`` link to it."""
import os
import os.path as osp

import pytest

from rpnet_mmseg.pipeline.demo_data import (link_demo_data_root,
                                            resolve_demo_data_root)


def _make_data(path, label_file='cls_labels.npz'):
    """A folder with what the demo needs (contents do not matter here)."""
    os.makedirs(osp.join(path, 'JPEGImages'))
    os.makedirs(osp.join(path, 'ImageSets', 'Segmentation'))
    open(osp.join(path, label_file), 'wb').close()
    return str(path)


@pytest.fixture
def layout(tmp_path):
    """repo/ with data/msrc_voc and ../shared/data/msrc_voc candidates."""
    repo = tmp_path / 'repo'
    repo.mkdir()
    return repo, repo / 'data' / 'msrc_voc', \
        tmp_path / 'shared' / 'data' / 'msrc_voc'


def test_cli_value_wins(layout, tmp_path):
    repo, local, shared = layout
    _make_data(local)
    mine = _make_data(tmp_path / 'mine')
    env = {'RPNET_DEMO_DATA': _make_data(tmp_path / 'env')}
    assert resolve_demo_data_root(mine, str(repo), environ=env) == mine


def test_env_before_defaults(layout, tmp_path):
    repo, local, _ = layout
    _make_data(local)
    env_dir = _make_data(tmp_path / 'env')
    assert resolve_demo_data_root(
        None, str(repo), environ={'RPNET_DEMO_DATA': env_dir}) == env_dir


def test_first_existing_default(layout):
    repo, local, shared = layout
    _make_data(shared)
    assert resolve_demo_data_root(None, str(repo), environ={}) == \
        osp.abspath(shared)
    _make_data(local)
    assert resolve_demo_data_root(None, str(repo), environ={}) == \
        osp.abspath(local)


def test_nothing_found_says_how_to_prepare(layout):
    repo, _, _ = layout
    with pytest.raises(FileNotFoundError) as info:
        resolve_demo_data_root(None, str(repo), environ={})
    message = str(info.value)
    assert 'demo data not found' in message
    assert osp.join(str(repo), 'data', 'msrc_voc') in message
    assert 'msrc_objcategimagedatabase_v2.zip' in message
    assert 'python tools/dataset_converters/msrc_v2.py' in message
    assert '--cleaned-masks' in message and 'RPNET_DEMO_DATA' in message


@pytest.mark.parametrize('source', ['cli', 'env'])
def test_given_folder_must_exist(layout, tmp_path, source):
    repo, local, _ = layout
    _make_data(local)  # a default exists, but the given folder wins
    missing = str(tmp_path / 'nope')
    kwargs = dict(cli_value=missing, environ={}) if source == 'cli' else \
        dict(cli_value=None, environ={'RPNET_DEMO_DATA': missing})
    with pytest.raises(FileNotFoundError, match='nope.*is not a folder'):
        resolve_demo_data_root(repo_root=str(repo), **kwargs)


def test_incomplete_folder(layout):
    repo, local, _ = layout
    os.makedirs(osp.join(local, 'JPEGImages'))
    with pytest.raises(FileNotFoundError) as info:
        resolve_demo_data_root(None, str(repo), environ={})
    message = str(info.value)
    assert 'cls_labels.npz or cls_labels.npy' in message
    assert 'ImageSets/Segmentation' in message
    assert 'msrc_v2.py' in message


def test_default_repo_root_is_this_repository():
    from rpnet_mmseg.pipeline import demo_data
    assert osp.isfile(
        osp.join(demo_data.REPO_ROOT, 'tools', 'dataset_converters',
                 'msrc_v2.py'))


def test_irn_label_file_is_enough(layout, tmp_path):
    """A folder with IRN's cls_labels.npy (no .npz) counts as complete."""
    repo = layout[0]
    irn = _make_data(tmp_path / 'irn', label_file='cls_labels.npy')
    assert resolve_demo_data_root(irn, str(repo), environ={}) == irn


def test_link_to_the_shared_copy(layout):
    """Only ../shared/data/msrc_voc exists: data/msrc_voc becomes a
    relative link to it, and a second call keeps it."""
    repo, local, shared = layout
    _make_data(shared)
    assert link_demo_data_root(str(repo)) == str(local)
    assert osp.islink(local)
    assert os.readlink(local) == osp.join('..', '..', 'shared', 'data',
                                          'msrc_voc')
    assert osp.samefile(local, shared)
    assert link_demo_data_root(str(repo)) == str(local)
    # resolving through the defaults now finds the link first
    assert resolve_demo_data_root(None, str(repo), environ={}) == str(local)


def test_link_keeps_an_existing_folder(layout):
    repo, local, shared = layout
    _make_data(shared)
    _make_data(local)
    assert link_demo_data_root(str(repo)) == str(local)
    assert not osp.islink(local)


def test_link_replaces_a_dangling_link(layout, tmp_path):
    repo, local, shared = layout
    _make_data(shared)
    os.makedirs(osp.dirname(local))
    os.symlink(str(tmp_path / 'gone'), local)
    assert link_demo_data_root(str(repo)) == str(local)
    assert osp.samefile(local, shared)


def test_link_refuses_a_file_in_the_way(layout):
    repo, local, shared = layout
    _make_data(shared)
    os.makedirs(osp.dirname(local))
    open(local, 'w').close()
    with pytest.raises(FileExistsError, match='is not a folder'):
        link_demo_data_root(str(repo))
    assert osp.isfile(local)


def test_link_without_any_copy_says_how_to_prepare(layout):
    repo, local, _ = layout
    with pytest.raises(FileNotFoundError, match='demo data not found'):
        link_demo_data_root(str(repo))
    assert not osp.lexists(local)


def test_resolve_links_only_the_defaults(layout, tmp_path):
    """link=True links data/msrc_voc for the defaults; a folder given on
    the command line or in the environment is used as it is."""
    repo, local, shared = layout
    _make_data(shared)
    mine = _make_data(tmp_path / 'mine')
    assert resolve_demo_data_root(mine, str(repo), environ={},
                                  link=True) == mine
    assert resolve_demo_data_root(
        None, str(repo), environ={'RPNET_DEMO_DATA': mine},
        link=True) == mine
    assert not osp.lexists(local)
    assert resolve_demo_data_root(None, str(repo), environ={},
                                  link=True) == str(local)
    assert osp.samefile(local, shared)
