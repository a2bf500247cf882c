"""mmengine hooks of rpnet_mmseg, registered in mmseg's HOOKS."""
from .stage_provenance_hook import (StageProvenanceHook,
                                    add_stage_provenance_hook)

__all__ = ['StageProvenanceHook', 'add_stage_provenance_hook']
