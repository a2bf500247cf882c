"""Utilities shared by the pipeline's tools."""
from .stage_paths import StagePaths

__all__ = ['StagePaths']
