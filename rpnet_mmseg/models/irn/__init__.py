"""IRN (inter-pixel relation network): the refinement stage's model."""
from .base_irn_head import BaseIRNHead
from .irn_displacement_head import IRNDisplacementHead
from .irn_edge_head import IRNEdgeHead
from .irnet import IRNet, build_path_index

__all__ = [
    'IRNet', 'BaseIRNHead', 'IRNEdgeHead', 'IRNDisplacementHead',
    'build_path_index'
]
