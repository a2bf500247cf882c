"""Run a config's test loop (CAM writing, evaluation) on a checkpoint.

Usage:
    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--tta]
        [--show-dir DIR] [--cfg-options k=v ...]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [...]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import rpnet_mmseg  # noqa: E402,F401  (registers modules, safe loading)
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg.registry import RUNNERS  # noqa: E402
from rpnet_mmseg.fileio import save_json_atomic  # noqa: E402
from rpnet_mmseg.engine import (add_run_hooks,  # noqa: E402
                                finish_distributed, setup_cpu_distributed)
from rpnet_mmseg.utils import (config_parser, load_run_config,  # noqa: E402
                               parse_launcher_args)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = config_parser('Test with mmengine')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation: the config's tta_pipeline and "
        'tta_model (multi-scale + flip), as mmseg')
    parser.add_argument(
        '--show-dir',
        help='draw every prediction (SegVisualizationHook) into this '
        'folder, as mmseg')
    parser.add_argument(
        '--out-json',
        help='write the metrics the test loop returns to this JSON file')
    return parse_launcher_args(parser)


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Let the config's SegVisualizationHook draw every test prediction."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise ValueError('--show-dir needs default_hooks.visualization '
                         "(dict(type='SegVisualizationHook')) in the config")
    hook['draw'] = True
    hook['interval'] = 1
    cfg.visualizer['save_dir'] = show_dir


def enable_tta(cfg: Config) -> None:
    """Wrap the model in ``tta_model`` and test on ``tta_pipeline``."""
    for key in ('tta_model', 'tta_pipeline'):
        if cfg.get(key) is None:
            raise ValueError(f'--tta needs `{key}` in the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def main() -> None:
    """Build the runner and run its test loop."""
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_run_config(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.tta:
        enable_tta(cfg)
    add_run_hooks(cfg)  # stage provenance, checkpoint match
    setup_cpu_distributed(cfg, args.launcher)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    metrics = runner.test()
    if args.out_json and runner.rank == 0:
        save_json_atomic(args.out_json, metrics, default=float)
    finish_distributed(exit_process=True)  # ends a distributed run here


if __name__ == '__main__':
    main()
