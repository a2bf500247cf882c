"""Engine pieces that mmengine 0.10.7 lacks on this stack."""
from .checkpoint_check import (check_checkpoint_matches, checkpoint_mismatches,
                               load_checkpoint_strict)
from .checkpoint_safety import (CheckpointLoadError, UnsafeCheckpointError,
                                load_checkpoint_file, load_checkpoint_url,
                                mmengine_checkpoint_types,
                                register_checkpoint_loaders)
from .cpu_distributed import finish_distributed, setup_cpu_distributed
from .hooks import (AtomicCheckpointHook, StageProvenanceHook,
                    add_stage_provenance_hook, use_atomic_checkpoints)
from .train_resume import (TRAIN_RECORD, ResumeMismatchError,
                           check_resume_config, checkpoint_is_complete,
                           resume_checkpoint, write_train_record)

__all__ = [
    'register_checkpoint_loaders', 'mmengine_checkpoint_types',
    'load_checkpoint_file', 'load_checkpoint_url', 'CheckpointLoadError',
    'UnsafeCheckpointError', 'check_checkpoint_matches',
    'checkpoint_mismatches', 'load_checkpoint_strict',
    'setup_cpu_distributed', 'finish_distributed', 'StageProvenanceHook',
    'add_stage_provenance_hook', 'AtomicCheckpointHook',
    'use_atomic_checkpoints', 'TRAIN_RECORD', 'ResumeMismatchError',
    'check_resume_config', 'checkpoint_is_complete', 'resume_checkpoint',
    'write_train_record'
]
