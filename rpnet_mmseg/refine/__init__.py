"""IRN refinement math: relation labels, path index, sparse random walk."""
from .path_index import PathIndex
from .pseudo_label import walk_to_pseudo_label
from .random_walk import dense_propagate_reference, propagate

__all__ = [
    'PathIndex', 'propagate', 'dense_propagate_reference',
    'walk_to_pseudo_label'
]
