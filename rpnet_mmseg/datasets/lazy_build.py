"""Datasets built without loading them: what a config's data is.

Tools that inspect a config's data (``tools/check_dataset.py``) and the
pipeline runner (which digests the data a stage reads) build the datasets
with ``lazy_init=True`` and no pipeline, then ask them for their files.
"""
import copy
from typing import Any, Dict, Iterator, List

from mmseg.registry import DATASETS

__all__ = ['leaf_datasets', 'build_lazy', 'dataloader_datasets']

# Wrappers whose inner dataset(s) hold the data.
_WRAPPER_KEYS = ('dataset', 'datasets')


def leaf_datasets(ds_cfg: dict) -> List[dict]:
    """The datasets inside wrappers (ConcatDataset, RepeatDataset ...).

    Args:
        ds_cfg (dict): A dataset config, wrapped or not.

    Returns:
        list[dict]: The configs of the datasets that read files.
    """
    for key in _WRAPPER_KEYS:
        inner = ds_cfg.get(key)
        if isinstance(inner, dict):
            return leaf_datasets(inner)
        if isinstance(inner, (list, tuple)):
            return [d for sub in inner for d in leaf_datasets(sub)]
    return [ds_cfg]


def build_lazy(ds_cfg: dict) -> Any:
    """Build a dataset without loading its annotations or its pipeline.

    Args:
        ds_cfg (dict): A (leaf) dataset config, in mmseg's scope.

    Returns:
        BaseDataset: The dataset, not initialised.
    """
    ds_cfg = copy.deepcopy(dict(ds_cfg))
    ds_cfg['lazy_init'] = True
    ds_cfg['pipeline'] = []
    return DATASETS.build(ds_cfg)


def dataloader_datasets(cfg: Dict) -> Iterator[Dict]:
    """The leaf dataset configs of every ``*_dataloader`` of a config.

    Args:
        cfg (dict): A config as a dict.

    Yields:
        dict: Each leaf dataset config (a wrapper's inner ones).
    """
    for key in sorted(cfg):
        loader = cfg[key]
        if key.endswith('_dataloader') and isinstance(loader, dict) and \
                isinstance(loader.get('dataset'), dict):
            yield from leaf_datasets(loader['dataset'])
