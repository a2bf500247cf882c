"""Run a whole weakly supervised pipeline: one command per dataset.

CAM network -> CAMs -> relation labels -> IRN -> pseudo-labels -> DeepLab
-> predictions (with and without dense CRF), as named by a pipeline config
(``configs/pipelines/``). Each stage runs through the tool users already
know (``tools/train.py`` / ``tools/test.py``, ``dist_*.sh`` with ``--gpus``
above 1, ``slurm_*.sh`` with ``--launcher slurm``). A stage whose outputs
are what it would produce now is skipped; a changed config or input reruns
exactly the stages below it; a killed run resumes where it stopped
(:mod:`rpnet_mmseg.pipeline.runner`). Ends with a table of every stage and
the mIoU wherever masks exist.

Usage:
    python tools/run_pipeline.py configs/pipelines/rpnet-irn-deeplab_voc12aug.py
    python tools/run_pipeline.py PIPELINE --gpus 8
    python tools/run_pipeline.py PIPELINE --launcher slurm --partition P --gpus 8
    python tools/run_pipeline.py PIPELINE --from irn_train --until pseudo_labels
    python tools/run_pipeline.py PIPELINE --dry-run     # what would run
    python tools/run_pipeline.py PIPELINE \
        --cfg-options stages.seg_train.cfg_options.train_cfg.max_iters=1000
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import DictAction  # noqa: E402

from rpnet_mmseg.pipeline import (PipelineLockedError,  # noqa: E402
                                  PipelineRunner, StageFailedError,
                                  load_pipeline)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Run a pipeline config, skipping up-to-date stages')
    parser.add_argument('pipeline', help='pipeline config file')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per stage (dist_*.sh above 1)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none')
    parser.add_argument('--partition', help='slurm partition')
    parser.add_argument('--work-dir', help='run folder (default: the '
                        "pipeline's work_dir)")
    parser.add_argument('--data-root', help="dataset folder (default: the "
                        "pipeline's data_root)")
    parser.add_argument('--from', dest='start', metavar='STAGE',
                        help='start here (earlier stages must be up to date)')
    parser.add_argument('--until', metavar='STAGE', help='stop after this')
    parser.add_argument('--dry-run', action='store_true',
                        help='say what would run, run nothing')
    parser.add_argument(
        '--accept-code-change', action='store_true',
        help='reuse the outputs of stages whose only change is the code '
        '(rpnet_mmseg or the stage\'s tool), e.g. after a cosmetic edit')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override pipeline config entries')
    return parser.parse_args()


def main() -> None:
    """Run the pipeline and print its table."""
    args = parse_args()
    cfg = load_pipeline(args.pipeline, args.cfg_options, args.work_dir,
                        args.data_root)
    runner = PipelineRunner(cfg, ROOT, gpus=args.gpus,
                            launcher=args.launcher, partition=args.partition,
                            accept_code=args.accept_code_change)
    try:
        runner.run(args.start, args.until, dry_run=args.dry_run)
    except (PipelineLockedError, StageFailedError) as e:
        sys.exit(f'error: {e}')
    print('\n' + runner.table())
    print(f'\nrun folder: {runner.root}')


if __name__ == '__main__':
    main()
