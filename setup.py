"""Packaging for rpnet_mmseg, an MMSegmentation 1.x plugin for RPNet WSSS."""
from setuptools import find_packages, setup


def read_requirements(path: str = 'requirements.txt') -> list:
    """Return the non-comment lines of a requirements file."""
    with open(path) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
            and not line.startswith('pytest')
        ]


setup(
    name='rpnet_mmseg',
    version='0.1.0',
    description='RPNet (cross-image region mining) weakly supervised '
    'segmentation as an MMSegmentation plugin',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    python_requires='>=3.8',
    install_requires=read_requirements(),
    license='Apache-2.0',
)
