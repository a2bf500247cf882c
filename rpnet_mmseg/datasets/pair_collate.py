"""Collation of ``[query, partner]`` pairs into one flat batch."""
from typing import Any, Sequence

from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS


@FUNCTIONS.register_module()
def pair_collate(data_batch: Sequence) -> Any:
    """Flatten ``[query, partner]`` pairs, then :func:`pseudo_collate`.

    A batch of ``[query, partner]`` pairs (from a paired
    :class:`ImageLevelSegDataset`) becomes ``[q1, p1, q2, p2, ...]``, so
    samples ``2i`` and ``2i + 1`` of the collated batch are a pair. A batch
    of plain samples is collated unchanged. Use it in a config as
    ``collate_fn=dict(type='pair_collate')``.

    Args:
        data_batch (Sequence): Samples (dicts), or 2-item lists of samples;
            one kind per batch.

    Returns:
        Any: The output of :func:`pseudo_collate` on the flat list.
    """
    is_pair = [isinstance(item, (list, tuple)) for item in data_batch]
    if any(is_pair) and not all(is_pair):
        raise ValueError('pair_collate got a batch mixing pairs and single '
                         'samples, which would break the 2i/2i+1 pairing')
    flat = []
    for item in data_batch:
        if not isinstance(item, (list, tuple)):
            flat.append(item)
            continue
        if len(item) != 2:
            raise ValueError('pair_collate expects [query, partner] pairs, '
                             f'got a sequence of length {len(item)}')
        flat.extend(item)
    return pseudo_collate(flat)
