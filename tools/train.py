"""Train a model of rpnet_mmseg (or any mmseg config) with mmengine's Runner.

Usage:
    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [...]
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import rpnet_mmseg  # noqa: E402,F401  (registers modules, safe loading)
from mmengine.config import Config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg.registry import RUNNERS  # noqa: E402
from mmengine.dist import is_main_process  # noqa: E402
from rpnet_mmseg.engine import (add_run_hooks,  # noqa: E402
                                check_resume_config, finish_distributed,
                                latest_checkpoint, setup_cpu_distributed,
                                train_record, write_train_record)
from rpnet_mmseg.utils import (config_parser, load_run_config,  # noqa: E402
                               parse_launcher_args)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = config_parser(
        'Train with mmengine',
        cfg_options_help='override config entries, e.g. '
        'train_cfg.max_epochs=2')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint of the work dir')
    parser.add_argument(
        '--resume-changed',
        action='store_true',
        help='resume even if the config or inputs changed since the work '
        'dir was started (refused otherwise)')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    return parse_launcher_args(parser)


def choose_resume(cfg: Config, record: dict, allow_changed: bool) -> bool:
    """Point ``--resume`` at the work dir's latest checkpoint.

    A work dir started under another config or other data is refused
    unless ``allow_changed``. ``load_from`` set by the user is left alone.
    A damaged checkpoint is refused by name when it is loaded.

    Returns:
        bool: Whether the run resumes from a checkpoint of the work dir.
    """
    if not cfg.resume or cfg.get('load_from'):
        return False
    path = latest_checkpoint(cfg.work_dir)
    if path is None:
        cfg.resume = False  # nothing saved yet: start from the beginning
        return False
    if allow_changed:
        print_log('--resume-changed: not comparing the config with '
                  f'{cfg.work_dir}', logger='current', level=logging.WARNING)
    else:
        warning = check_resume_config(record, cfg.work_dir)
        if warning:
            print_log(warning, logger='current', level=logging.WARNING)
    cfg.load_from = path
    return True


def main() -> None:
    """Build the runner from the config and train."""
    args = parse_args()
    cfg = load_run_config(args)
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config',
                      logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    add_run_hooks(cfg)  # provenance, checkpoint match, atomic checkpoints
    # The run's record before --resume picks a checkpoint and before the
    # launch's own changes (CPU processes: gloo, BN for SyncBN), so a run
    # resumes with more or fewer processes.
    record = train_record(cfg)  # before the launch changes the config
    choose_resume(cfg, record, args.resume_changed)
    setup_cpu_distributed(cfg, args.launcher)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    if is_main_process():
        write_train_record(record, runner.work_dir)
    runner.train()
    finish_distributed(exit_process=True)  # ends a distributed run here


if __name__ == '__main__':
    main()
