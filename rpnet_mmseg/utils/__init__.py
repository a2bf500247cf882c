"""Algorithms shared by the stages and the models: the dense CRF."""
from .dense_crf import (DEEPLAB_CRF_PARAMS, IRN_CRF_PARAMS, crf_relabel,
                        dense_crf, dense_crf_labels, merge_crf_params)

__all__ = [
    'IRN_CRF_PARAMS', 'DEEPLAB_CRF_PARAMS', 'merge_crf_params', 'dense_crf',
    'dense_crf_labels', 'crf_relabel'
]
