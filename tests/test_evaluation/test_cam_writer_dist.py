"""CAMWriter in a real 2-process (gloo, CPU) run, as under dist_test.sh."""
import json
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmseg.structures import SegDataSample

from rpnet_mmseg.evaluation import CAMWriter
from rpnet_mmseg.fileio import STAGE_FILE, make_record

NAMES = ['a', 'b', 'c', 'd', 'e']


def _worker(rank: int, world_size: int, tmp: str) -> None:
    dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp}/dist_init',
        rank=rank,
        world_size=world_size)
    writer = CAMWriter(os.path.join(tmp, 'cams'))
    # As StageProvenanceHook does before the epoch, on every rank: rank 0
    # checks and records the folder, rank 1 waits for its verdict.
    writer.set_producer(make_record('dist', extra={'weights': 1}))
    # DefaultSampler's split: rank r takes items r, r + 2, ...; rank 1 gets
    # a padding copy of item 0 so that both ranks run 3 items.
    indices = list(range(len(NAMES)))[rank::world_size]
    if rank == 1:
        indices.append(0)
        dist.barrier()  # rank 0 has written 'a' before its padding copy
    for i in indices:
        sample = SegDataSample(
            metainfo=dict(img_id=NAMES[i], ori_shape=(4, 6)))
        sample.set_data({
            'cam_keys': torch.tensor([i]),
            'cam': torch.rand(1, 1, 2),
            'high_res': torch.rand(1, 4, 6),
        })
        writer.process(None, [sample.to_dict()])
        if rank == 0 and i == 0:
            dist.barrier()
    metrics = writer.evaluate(len(NAMES))
    with open(os.path.join(tmp, f'rank{rank}.json'), 'w') as f:
        json.dump(metrics, f)
    dist.destroy_process_group()


def test_every_rank_writes_its_images(tmp_path):
    # fork: the workers inherit the imported modules (spawn re-imports mmseg
    # in each child, ~10 s on a small CPU machine).
    mp.start_processes(
        _worker,
        args=(2, str(tmp_path)),
        nprocs=2,
        join=True,
        start_method='fork')
    # Each rank listed its own files in its own manifest.
    assert sorted(os.listdir(tmp_path / 'cams')) == sorted(
        [STAGE_FILE, '.rpnet_written.rank0.txt', '.rpnet_written.rank1.txt'] +
        [f'{n}.npz' for n in NAMES])
    for i, name in enumerate(NAMES):
        saved = np.load(tmp_path / 'cams' / f'{name}.npz',
                        allow_pickle=False)
        assert saved['keys'].tolist() == [i]
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.json') as f:
            # The padding copy is dropped by mmengine's collect_results.
            assert json.load(f) == {'num_written': 5, 'num_skipped': 0}
