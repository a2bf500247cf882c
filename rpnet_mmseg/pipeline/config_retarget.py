"""Point a parsed config at other folders, as ``--cfg-options``.

mmengine substitutes ``{{_base_.cam_dir}}`` and copies ``data_root`` into
each dataset when a config is parsed, so overriding the top-level key
afterwards changes nothing below it. :func:`retarget_options` walks the
parsed config instead and rewrites every string that starts with one of the
given prefixes, returning ``key.path=value`` options (list items by index)
that ``tools/train.py`` / ``tools/test.py`` accept.
"""
from typing import Any, Dict, Iterator, List, Tuple

__all__ = [
    'retarget_options', 'string_leaves', 'key_entries', 'values_of_key'
]


def string_leaves(node: Any, path: str = '') -> Iterator[Tuple[str, str]]:
    """Yield ``(dotted.path, value)`` of every string below ``node``."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        if isinstance(node, str):
            yield path, node
        return
    for key, value in items:
        yield from string_leaves(value, f'{path}.{key}' if path else str(key))


def key_entries(node: Any,
                key: str,
                path: str = '') -> Iterator[Tuple[str, Any, dict]]:
    """Yield ``(dotted.path, value, owner dict)`` of every ``key`` at any
    depth of ``node``, outer entries first."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return
    for k, value in items:
        sub = f'{path}.{k}' if path else str(k)
        if k == key and isinstance(node, dict):
            yield sub, value, node
        yield from key_entries(value, key, sub)


def values_of_key(node: Any, key: str) -> List[str]:
    """Every string value stored under ``key`` at any depth of ``node``
    (e.g. each ``cam_dir`` of a dataset's transforms)."""
    return [v for _, v, _ in key_entries(node, key) if isinstance(v, str)]


def _norm(prefix: str) -> str:
    return prefix.rstrip('/')


def retarget_options(cfg: Any, replacements: Dict[str, str]) -> List[str]:
    """Options that move every path under an old prefix to a new one.

    A string matches a prefix when it equals it or continues it with ``/``.
    The longest matching prefix wins.

    Args:
        cfg (Config | dict): The parsed config.
        replacements (dict[str, str]): Old prefix -> new prefix.

    Returns:
        list[str]: ``key.path=new_value`` options, sorted.
    """
    olds = sorted((_norm(o) for o in replacements), key=len, reverse=True)
    new_of = {_norm(o): _norm(n) for o, n in replacements.items()}
    options = []
    for path, value in string_leaves(dict(cfg)):
        for old in olds:
            if value == old or value.startswith(old + '/'):
                new = new_of[old] + value[len(old):]
                if new != value:
                    options.append(f'{path}={new}')
                break
    return sorted(options)
