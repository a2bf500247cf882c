"""IRN refinement math: relation labels, path index, sparse random walk."""
from .path_index import PathIndex
from .pseudo_label import (walk_to_pseudo_label, walked_bg_power,
                           walked_to_label)
from .random_walk import dense_propagate_reference, propagate
from .relation_labels import (make_relation_label, relation_label_params,
                              write_relation_labels)

__all__ = [
    'PathIndex', 'propagate', 'dense_propagate_reference',
    'walk_to_pseudo_label', 'walked_to_label', 'walked_bg_power',
    'make_relation_label', 'relation_label_params', 'write_relation_labels'
]
