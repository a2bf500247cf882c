"""mmengine hooks of rpnet_mmseg, registered in mmseg's HOOKS."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .stage_provenance_hook import StageProvenanceHook

__all__ = ['AtomicCheckpointHook', 'StageProvenanceHook']
