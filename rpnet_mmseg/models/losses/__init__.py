"""Losses of the CAM stage and of IRN."""
from .affinity_loss import AffinityLoss
from .displacement_loss import DisplacementLoss
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .named_loss import NamedLoss
from .self_supervised_loss import SelfSupervisedLoss

__all__ = [
    'NamedLoss', 'MultiLabelSoftMarginLoss', 'SelfSupervisedLoss',
    'AffinityLoss', 'DisplacementLoss'
]
