"""Find CAM training seeds that collapse, from their first iterations.

A collapsing CAM run (all-background CAMs, README "Training that never
collapses") shows itself early: the last block's ReLU channels die one after
the other, ``loss_cls`` stalls near the absent-class prior instead of
falling, and RPNet's ``fm_mean`` climbs towards 1. This tool trains a config
for the first ``--iters`` iterations of each seed (the config's own
schedule, data loading and seeding, so a seed behaves as in a full run on
the same machine and thread count) and prints, per seed:

- ``dead@N``: the share of the last block's channels that are zero for
  every image of the batch at the last iteration;
- ``loss_cls``: the mean of the last 5 iterations' classification loss;
- ``fm@10``: RPNet's foreground-map mean at iteration 10 (n/a for CAM);
- the verdict: ``COLLAPSING`` when more than half of the channels are dead
  or ``loss_cls`` is above 0.25 or not finite (healthy demo runs: under
  0.15 by iteration 30).

Usage:
    OMP_NUM_THREADS=1 python tools/analysis_tools/scan_seeds.py CONFIG \
        --seeds 0 1 2 --iters 30 [--verbose] [--out-json F]
        [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import rpnet_mmseg  # noqa: E402,F401  (registers modules, safe loading)
from rpnet_mmseg.fileio import save_json_atomic  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

DEAD_LIMIT = 0.5
LOSS_LIMIT = 0.25


class _Enough(Exception):
    """Raised by the recorder once the iterations are done."""


class SeedRecorder(Hook):
    """Record losses and dead last-block channels of the first iterations.

    Args:
        iters (int): Iterations to record before stopping the training.
        verbose (bool): Print every iteration's numbers. Defaults to False.
    """

    def __init__(self, iters: int, verbose: bool = False) -> None:
        self.iters = iters
        self.verbose = verbose
        self.rows: List[Dict[str, float]] = []
        self._dead = float('nan')

    def before_train(self, runner) -> None:
        """Watch the backbone's last output (``f_N``)."""

        def watch(module, inputs, outputs):
            feat = outputs[-1].detach()
            self._dead = float((feat.amax(dim=(0, 2, 3)) <= 0).float().mean())

        model = getattr(runner.model, 'module', runner.model)
        model.backbone.register_forward_hook(watch)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Keep this iteration's numbers; stop after ``iters``."""
        row = {k: float(v) for k, v in (outputs or {}).items()}
        row.update(
            iter=runner.iter + 1,
            lr=runner.optim_wrapper.get_lr()['lr'][0],
            dead=self._dead)
        self.rows.append(row)
        if self.verbose:
            print(f'  iter {row["iter"]:>3}  lr {row["lr"]:.5f}  loss_cls '
                  f'{row["loss_cls"]:.3f}  dead {row["dead"]:.3f}' +
                  (f'  fm_mean {row["fm_mean"]:.3f}' if 'fm_mean' in row
                   else ''),
                  flush=True)
        if runner.iter + 1 >= self.iters:
            raise _Enough


def scan_seed(cfg: Config,
              seed: int,
              iters: int,
              work_dir: str,
              verbose: bool = False) -> Dict:
    """Train the first ``iters`` iterations of one seed; summarise them.

    Args:
        cfg (Config): The training config (copied, not changed).
        seed (int): ``randomness.seed``.
        iters (int): Iterations to run (at least 10).
        work_dir (str): Where the short run logs.
        verbose (bool): Print every iteration. Defaults to False.

    Returns:
        dict: ``seed``, ``dead``, ``loss_cls``, ``fm_at_10`` (None without
        RPNet's ``fm_mean``) and ``collapsing``.
    """
    cfg = cfg.copy()
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = osp.join(work_dir, f'seed_{seed}')
    cfg.train_dataloader.persistent_workers = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    runner = Runner.from_cfg(cfg)
    recorder = SeedRecorder(iters, verbose)
    runner.register_hook(recorder, 'LOWEST')
    try:
        runner.train()
    except _Enough:
        pass
    rows = recorder.rows
    loss = float(np.mean([r['loss_cls'] for r in rows[-5:]]))
    dead = rows[-1]['dead']
    fm = rows[9].get('fm_mean') if len(rows) >= 10 else None
    return dict(
        seed=seed,
        iters=len(rows),
        dead=dead,
        loss_cls=loss,
        fm_at_10=fm,
        collapsing=bool(not np.isfinite(loss) or dead > DEAD_LIMIT
                        or loss > LOSS_LIMIT))


def main() -> None:
    """Scan the seeds and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='CAM training config')
    parser.add_argument('--seeds', type=int, nargs='+', required=True)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument(
        '--work-dir', default='work_dirs/scan_seeds',
        help='where the short runs log')
    parser.add_argument('--out-json', help='write the results here')
    parser.add_argument(
        '--verbose', action='store_true', help='print every iteration')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if args.iters < 10:
        parser.error('--iters must be at least 10')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    results = []
    for seed in args.seeds:
        r = scan_seed(cfg, seed, args.iters, args.work_dir, args.verbose)
        results.append(r)
        fm = 'n/a' if r['fm_at_10'] is None else f'{r["fm_at_10"]:.3f}'
        print(f'seed {seed}: dead@{r["iters"]} {r["dead"]:.3f}  loss_cls '
              f'{r["loss_cls"]:.3f}  fm@10 {fm}  '
              f'{"COLLAPSING" if r["collapsing"] else "healthy"}',
              flush=True)
    if args.out_json:
        save_json_atomic(args.out_json, results)
    print(f'{sum(r["collapsing"] for r in results)} of {len(results)} '
          'seeds collapsing')


if __name__ == '__main__':
    main()
