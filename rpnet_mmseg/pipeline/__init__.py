"""Chaining the stages: one command that reruns only what is out of date."""
from .config_retarget import (key_entries, retarget_options, string_leaves,
                              values_of_key)
from .demo_data import link_demo_data_root, resolve_demo_data_root
from .fingerprint import changed_files, content_sha1, fingerprint
from .process import PipelineLockedError, RunLock, run_stage
from .runner import PipelineRunner, Stage, StageFailedError, load_pipeline
from .stage_paths import StagePaths

__all__ = [
    'PipelineRunner', 'Stage', 'StageFailedError', 'load_pipeline',
    'PipelineLockedError', 'RunLock', 'run_stage', 'fingerprint',
    'changed_files', 'content_sha1', 'StagePaths', 'retarget_options',
    'string_leaves', 'key_entries', 'values_of_key', 'resolve_demo_data_root',
    'link_demo_data_root'
]
