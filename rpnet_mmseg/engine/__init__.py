"""Engine pieces that mmengine 0.10.7 lacks on this stack."""
from .checkpoint_safety import allow_mmengine_checkpoint_types
from .cpu_distributed import setup_cpu_distributed

__all__ = ['allow_mmengine_checkpoint_types', 'setup_cpu_distributed']
