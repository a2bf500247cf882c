"""mmengine hooks of rpnet_mmseg, registered in mmseg's HOOKS."""
from .atomic_checkpoint_hook import (AtomicCheckpointHook,
                                     use_atomic_checkpoints)
from .stage_provenance_hook import (StageProvenanceHook,
                                    add_stage_provenance_hook)

__all__ = [
    'AtomicCheckpointHook', 'StageProvenanceHook', 'add_stage_provenance_hook',
    'use_atomic_checkpoints'
]
