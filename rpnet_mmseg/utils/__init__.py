"""Algorithms shared by the stages and the models: the dense CRF; and the
command-line pieces shared by the scripts of ``tools/``."""
from .cli import (config_parser, exit_on_error, load_run_config,
                  parse_launcher_args)
from .dense_crf import (DEEPLAB_CRF_PARAMS, IRN_CRF_PARAMS, crf_relabel,
                        dense_crf, dense_crf_labels, merge_crf_params)

__all__ = [
    'IRN_CRF_PARAMS', 'DEEPLAB_CRF_PARAMS', 'merge_crf_params', 'dense_crf',
    'dense_crf_labels', 'crf_relabel', 'config_parser', 'parse_launcher_args',
    'load_run_config', 'exit_on_error'
]
