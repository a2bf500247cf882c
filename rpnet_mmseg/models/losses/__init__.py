"""Losses of the CAM stage."""
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .self_supervised_loss import SelfSupervisedLoss

__all__ = ['MultiLabelSoftMarginLoss', 'SelfSupervisedLoss']
