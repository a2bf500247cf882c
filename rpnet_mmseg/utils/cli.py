"""Command-line pieces shared by the scripts of ``tools/``.

A tool that reads a config takes it as ``CONFIG`` with mmengine's
``--cfg-options`` (:func:`config_parser`); ``tools/train.py`` and
``tools/test.py`` also take mmseg's ``--launcher`` / ``--local_rank``
(:func:`parse_launcher_args`) and build their config as mmseg's tools do
(:func:`load_run_config`). :func:`exit_on_error` turns a tool's expected
errors into one line.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Any, Callable, Optional, Sequence, Tuple, Type

from mmengine.config import Config, DictAction

__all__ = [
    'config_parser', 'parse_launcher_args', 'load_run_config',
    'exit_on_error'
]


def config_parser(
        description: str,
        config_help: str = 'config file',
        cfg_options_help: str = 'override config entries'
) -> argparse.ArgumentParser:
    """The parser of a tool that reads a config: ``CONFIG [--cfg-options]``.

    Args:
        description (str): The tool's description in ``--help``.
        config_help (str): Help of the ``config`` positional.
        cfg_options_help (str): Help of ``--cfg-options`` (mmengine's
            ``DictAction``: ``key=value`` pairs merged into the config).

    Returns:
        argparse.ArgumentParser: The parser, for the tool's own arguments.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help=config_help)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    return parser


def parse_launcher_args(
        parser: argparse.ArgumentParser,
        argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Add mmseg's ``--launcher`` and ``--local_rank`` to ``parser``; parse.

    ``LOCAL_RANK`` is set from ``--local_rank`` unless the launcher (torchrun)
    already set it, as mmseg's ``tools/train.py`` does.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        argv (Sequence[str], optional): The arguments; None: ``sys.argv``.

    Returns:
        argparse.Namespace: The parsed command line.
    """
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_run_config(args: argparse.Namespace) -> Config:
    """The config of a train / test run, as mmseg's tools build it.

    ``args.config`` with ``launcher`` set, then ``--cfg-options`` merged;
    ``work_dir`` is ``--work-dir``, else the config's, else
    ``./work_dirs/CONFIG_NAME``.

    Args:
        args (argparse.Namespace): With ``config``, ``launcher``,
            ``cfg_options`` and ``work_dir``.

    Returns:
        Config: The config.
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def exit_on_error(
    main: Callable[[], Any],
    errors: Tuple[Type[BaseException], ...] = (FileNotFoundError, ValueError)
) -> Any:
    """Run a tool's ``main``; one of ``errors`` exits as ``error: MESSAGE``.

    The message goes to stderr with exit status 1 and no traceback: the
    errors a user can fix (a missing file, a wrong argument).

    Args:
        main (Callable[[], Any]): The tool's entry point.
        errors (tuple[type]): The exception types reported this way.

    Returns:
        Any: What ``main`` returns.
    """
    try:
        return main()
    except errors as e:
        sys.exit(f'error: {e}')
