"""Train a model of rpnet_mmseg (or any mmseg config) with mmengine's Runner.

Usage:
    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [...]
"""
import argparse
import logging
import os
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import rpnet_mmseg  # noqa: E402,F401  (registers modules, safe loading)
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner, find_latest_checkpoint  # noqa: E402

from mmseg.registry import RUNNERS  # noqa: E402
from rpnet_mmseg.engine import (add_stage_provenance_hook,  # noqa: E402
                                check_checkpoint_matches,
                                finish_distributed, setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train with mmengine')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint of the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_epochs=2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def checkpoint_to_load(cfg: Config) -> Optional[str]:
    """The local checkpoint ``Runner.train`` will load, if any.

    As mmengine's ``Runner.load_or_resume``: ``load_from`` when set (resumed
    from with ``--resume``), else with ``--resume`` the work dir's latest.
    """
    path = cfg.get('load_from')
    if not path and cfg.get('resume'):
        path = find_latest_checkpoint(cfg.work_dir)
    return path if path and osp.isfile(path) else None


def main() -> None:
    """Build the runner from the config and train."""
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config',
                      logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    add_stage_provenance_hook(cfg)  # stage folders record their producer
    setup_cpu_distributed(cfg, args.launcher)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    checkpoint = checkpoint_to_load(cfg)
    if checkpoint is not None:
        # mmengine only logs missing / unexpected keys (strict=False).
        check_checkpoint_matches(runner.model, checkpoint)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
