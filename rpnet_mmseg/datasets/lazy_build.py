"""Datasets built without loading them: what a config's data is.

Tools that inspect a config's data (``tools/check_dataset.py``) and the
pipeline runner (which digests the data a stage reads) build the datasets
with ``lazy_init=True`` and no pipeline, then ask them for their files.
"""
import copy
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence

from mmseg.registry import DATASETS

__all__ = [
    'leaf_datasets', 'build_lazy', 'dataloader_datasets', 'config_inputs',
    'data_digests'
]

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


def config_inputs(cfg: Dict,
                  loaders: Optional[Sequence[str]] = None,
                  splits: bool = True) -> List[str]:
    """Every data file or folder a config reads, and its weights files.

    The datasets' ``input_files()`` (split file, image and label folders,
    image-level label file), found by building each dataset lazily; a
    dataset class without that method (or one that cannot be built here)
    gives its ``ann_file`` and ``data_prefix`` folders. The folders of maps
    the data pipelines load (``cam_dir``). Then the local weights files it
    loads (``load_from``, any ``checkpoint`` entry ending in ``.pth`` /
    ``.pt``). What makes the identity of a run's data: the pipeline
    runner's, ``tools/train.py``'s training record and the stage writers'
    producer.

    Args:
        cfg (dict): A config as a dict.
        loaders (Sequence[str], optional): Only these ``*_dataloader``
            keys. Defaults to None (all of them).
        splits (bool): Include the split files (``ann_file``). A writer's
            files do not depend on which images run, so its producer leaves
            them out. Defaults to True.

    Returns:
        list[str]: Paths, as the config and datasets spell them.
    """
    from ..pipeline.config_retarget import values_of_key
    paths: List[str] = []
    chosen = {k: cfg[k] for k in loaders if k in cfg} if loaders else cfg
    for ds_cfg in dataloader_datasets(chosen):
        try:
            dataset = build_lazy(ds_cfg)
            paths += [p for p in dataset.input_files()
                      if splits or p != dataset.ann_file]
        except Exception:  # another dataset class, or not buildable
            root = ds_cfg.get('data_root') or ''
            named = ([ds_cfg.get('ann_file')] if splits else []) + list(
                (ds_cfg.get('data_prefix') or {}).values())
            paths += [osp.join(root, v) for v in named
                      if isinstance(v, str) and v]
        paths += values_of_key(ds_cfg.get('pipeline'), 'cam_dir')
    weights = [cfg.get('load_from')] + values_of_key(cfg, 'checkpoint')
    return paths + [
        w for w in weights
        if isinstance(w, str) and w.endswith(('.pth', '.pt'))
    ]


def data_digests(cfg: Dict,
                 loaders: Optional[Sequence[str]] = None,
                 splits: bool = True) -> Dict[str, str]:
    """The data part of every record of what made an output.

    :func:`config_inputs`, each by
    :func:`rpnet_mmseg.pipeline.fingerprint.path_digest`. The training
    record (``tools/train.py``) and the stage writers' folder records use
    it as it is; the pipeline runner adds the paths a command names and
    keeps those under the run's ``data_root``.

    Args:
        cfg (dict): A config as a dict.
        loaders (Sequence[str], optional): See :func:`config_inputs`.
        splits (bool): See :func:`config_inputs`.

    Returns:
        dict: path -> digest, sorted by path.
    """
    from ..pipeline.fingerprint import path_digest
    paths = sorted(set(config_inputs(cfg, loaders, splits)))
    return {p: path_digest(p) for p in paths}
