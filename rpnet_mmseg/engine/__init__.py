"""Engine pieces that mmengine 0.10.7 lacks on this stack."""
from .checkpoint_check import (CheckpointMatchHook, checkpoint_mismatches,
                               load_checkpoint_strict)
from .checkpoint_safety import (CheckpointLoadError, UnsafeCheckpointError,
                                load_checkpoint_file, load_checkpoint_url,
                                mmengine_checkpoint_types,
                                register_checkpoint_loaders)
from .cpu_distributed import finish_distributed, setup_cpu_distributed
from .hooks import AtomicCheckpointHook, StageProvenanceHook
from .run_hooks import add_run_hooks
from .train_resume import (TRAIN_RECORD, ResumeMismatchError,
                           check_resume_config, latest_checkpoint,
                           train_record, write_train_record)

__all__ = [
    'register_checkpoint_loaders', 'mmengine_checkpoint_types',
    'load_checkpoint_file', 'load_checkpoint_url', 'CheckpointLoadError',
    'UnsafeCheckpointError', 'CheckpointMatchHook', 'checkpoint_mismatches',
    'load_checkpoint_strict', 'setup_cpu_distributed', 'finish_distributed',
    'StageProvenanceHook', 'AtomicCheckpointHook', 'add_run_hooks',
    'TRAIN_RECORD', 'ResumeMismatchError', 'check_resume_config',
    'latest_checkpoint', 'train_record', 'write_train_record'
]
