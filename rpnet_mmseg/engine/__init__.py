"""Engine pieces that mmengine 0.10.7 lacks on this stack."""
from .checkpoint_check import check_checkpoint_matches, checkpoint_mismatches
from .checkpoint_safety import allow_mmengine_checkpoint_types
from .cpu_distributed import setup_cpu_distributed
from .hooks import StageProvenanceHook, add_stage_provenance_hook

__all__ = [
    'allow_mmengine_checkpoint_types', 'check_checkpoint_matches',
    'checkpoint_mismatches', 'setup_cpu_distributed', 'StageProvenanceHook',
    'add_stage_provenance_hook'
]
