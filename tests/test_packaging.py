"""setup.py declares version ranges that cover every import of the package.

``pip install -e .`` must fit into a researcher's existing mmseg
environment: no exact pins, every third-party module the package imports is
declared (module-level imports in ``install_requires``, imports inside
functions there or in an extra), the running environment satisfies the
ranges, and the exact pins of ``requirements.txt`` lie inside them.
"""
import ast
import importlib.metadata as md
import os.path as osp
import runpy
import sys
from unittest import mock

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def setup_kwargs():
    """The keyword arguments setup.py passes to setuptools.setup."""
    with mock.patch('setuptools.setup') as setup:
        runpy.run_path(osp.join(REPO, 'setup.py'), run_name='__main__')
    assert setup.call_count == 1
    return setup.call_args.kwargs


def _reqs(lines):
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def test_ranges_not_pins(setup_kwargs):
    reqs = _reqs(setup_kwargs['install_requires'])
    for name, req in reqs.items():
        ops = {s.operator for s in req.specifier}
        assert not ops & {'==', '===', '~='}, f'{req} is an exact pin'
    # The OpenMMLab stack and torch have a lower bound; mmcv also the upper
    # bound mmseg 1.2.x enforces at import.
    for name in ('torch', 'mmcv', 'mmengine', 'mmsegmentation',
                 'mmpretrain', 'pydensecrf2'):
        assert any(s.operator == '>=' for s in reqs[name].specifier), name
    assert '2.1.0' in reqs['mmcv'].specifier
    assert '2.2.0' not in reqs['mmcv'].specifier
    # torch 2.6 is the floor: from there on torch.load loads weights only
    # unless told otherwise, so mmengine's own loads cannot run code.
    assert '2.6.0' in reqs['torch'].specifier
    assert '2.5.1' not in reqs['torch'].specifier


def _imports(path):
    """(module-level, nested) top-level names of absolute imports."""
    tree = ast.parse(open(path).read(), path)
    top, nested = set(), set()

    def visit(node, depth):
        for child in ast.iter_child_nodes(node):
            inner = depth + isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                names = [child.module]
            for n in names:
                (nested if depth else top).add(n.split('.')[0])
            visit(child, inner)

    visit(tree, 0)
    return top, nested


def _package_imports():
    import glob
    top, nested = set(), set()
    for path in glob.glob(osp.join(REPO, 'rpnet_mmseg', '**', '*.py'),
                          recursive=True):
        t, n = _imports(path)
        top |= t
        nested |= n
    stdlib = set(sys.stdlib_module_names) | {'rpnet_mmseg'}
    return top - stdlib, nested - stdlib - top


def test_every_import_is_declared(setup_kwargs):
    install = _reqs(setup_kwargs['install_requires'])
    extras = _reqs(
        [r for rs in setup_kwargs['extras_require'].values() for r in rs])
    dists_of = md.packages_distributions()
    top, nested = _package_imports()
    assert {'torch', 'mmseg', 'mmengine', 'numpy'} <= top
    for module, allowed in ((m, install) for m in sorted(top)):
        dists = {canonicalize_name(d) for d in dists_of.get(module, [])}
        assert dists, f'import {module}: no installed distribution provides it'
        assert dists & set(allowed), (
            f'rpnet_mmseg imports {module} ({sorted(dists)}) at module level '
            'but install_requires does not declare it')
    for module in sorted(nested):
        dists = {canonicalize_name(d) for d in dists_of.get(module, [])}
        assert dists, f'import {module}: no installed distribution provides it'
        assert dists & (set(install) | set(extras)), (
            f'rpnet_mmseg imports {module} ({sorted(dists)}) but neither '
            'install_requires nor an extra declares it')


def test_current_environment_satisfies_the_ranges(setup_kwargs):
    for req in _reqs(setup_kwargs['install_requires']).values():
        version = md.version(req.name)
        assert req.specifier.contains(version, prereleases=True), \
            f'installed {req.name} {version} is outside {req}'


def test_exact_pins_lie_inside_the_ranges(setup_kwargs):
    ranges = _reqs(setup_kwargs['install_requires'])
    ranges.update(_reqs(
        [r for rs in setup_kwargs['extras_require'].values() for r in rs]))
    lines = [line.split('#', 1)[0].strip()
             for line in open(osp.join(REPO, 'requirements.txt'))]
    pinned = [Requirement(line) for line in lines if '==' in line]
    assert pinned
    for pin in pinned:
        name = canonicalize_name(pin.name)
        if name not in ranges:
            continue  # tools-only (e.g. pycocotools) or torchvision
        version = next(iter(pin.specifier)).version
        assert ranges[name].specifier.contains(version, prereleases=True), \
            f'requirements.txt pins {pin} outside {ranges[name]}'
