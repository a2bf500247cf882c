"""IRN refinement math: relation labels, path index, sparse random walk."""
from .path_index import PathIndex
from .pseudo_label import (crf_refine_label, walk_to_pseudo_label,
                           walked_bg_power, walked_to_label)
from .random_walk import dense_propagate_reference, propagate
from .relation_labels import (IRN_CRF_PARAMS, make_relation_label,
                              relation_label_params, write_relation_labels)

__all__ = [
    'PathIndex', 'propagate', 'dense_propagate_reference',
    'walk_to_pseudo_label', 'walked_to_label', 'walked_bg_power',
    'crf_refine_label', 'IRN_CRF_PARAMS',
    'make_relation_label', 'relation_label_params', 'write_relation_labels'
]
