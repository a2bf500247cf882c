"""Packaging for rpnet_mmseg, an MMSegmentation 1.x plugin for RPNet WSSS.

``install_requires`` declares the version RANGES the code supports
(``requirements/runtime.txt`` and ``requirements/mminstall.txt``, as
mmsegmentation does), so ``pip install -e .`` fits into an existing mmseg
environment without replacing its torch or mmcv. The exact versions of this
repository's own environment are pinned in ``requirements.txt`` (installed by
``tools/setup_env.sh``).
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(path: str) -> list:
    """Return the requirement lines of ``path`` (comments dropped)."""
    with open(osp.join(HERE, path)) as f:
        lines = [line.split('#', 1)[0].strip() for line in f]
    return [line for line in lines if line]


install_requires = (
    read_requirements('requirements/runtime.txt') +
    read_requirements('requirements/mminstall.txt'))
extras_require = {
    'demo': read_requirements('requirements/optional.txt'),
    'tests': read_requirements('requirements/tests.txt'),
}
extras_require['all'] = extras_require['demo'] + extras_require['tests']

setup(
    name='rpnet_mmseg',
    version='0.1.0',
    description='RPNet (cross-image region mining) weakly supervised '
    'segmentation as an MMSegmentation plugin',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    python_requires='>=3.8',
    install_requires=install_requires,
    extras_require=extras_require,
    license='Apache-2.0',
)
