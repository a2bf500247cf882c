"""The hooks every run of ``tools/train.py`` and ``tools/test.py`` gets."""
from mmengine.config import Config

__all__ = ['add_run_hooks']

# custom_hooks added when the config lacks them
RUN_HOOKS = ('StageProvenanceHook', 'CheckpointMatchHook')


def _type_name(hook) -> str:
    kind = hook.get('type') if isinstance(hook, dict) else hook
    return (kind if isinstance(kind, str) else
            getattr(kind, '__name__', '')).split('.')[-1]


def add_run_hooks(cfg: Config) -> None:
    """Add rpnet_mmseg's hooks to a config, in place.

    - ``StageProvenanceHook``: stage folders record their producer;
    - ``CheckpointMatchHook``: a checkpoint of another model is refused;
    - mmengine's ``CheckpointHook`` becomes ``AtomicCheckpointHook`` (same
      arguments): a kill never leaves half a checkpoint. A checkpoint hook
      of another type (a user's own) is left alone.

    Args:
        cfg (Config): The resolved config.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    present = {_type_name(h) for h in hooks}
    hooks += [dict(type=t) for t in RUN_HOOKS if t not in present]
    cfg.custom_hooks = hooks
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if isinstance(checkpoint, dict) and \
            _type_name(checkpoint) == 'CheckpointHook':
        checkpoint['type'] = 'AtomicCheckpointHook'
