"""Chaining the stages: one command that reruns only what is out of date."""
from .fingerprint import changed_files, content_sha1, fingerprint
from .process import PipelineLockedError, RunLock, run_stage
from .runner import PipelineRunner, Stage, StageFailedError, load_pipeline

__all__ = [
    'PipelineRunner', 'Stage', 'StageFailedError', 'load_pipeline',
    'PipelineLockedError', 'RunLock', 'run_stage', 'fingerprint',
    'changed_files', 'content_sha1'
]
