"""Tests of pair_collate and its use by mmengine's Runner."""
import pytest
import torch
from mmengine.registry import FUNCTIONS, DefaultScope
from mmengine.runner import Runner

from rpnet_mmseg.datasets import pair_collate


def _sample(tag):
    return dict(inputs=torch.full((1, 2, 2), tag), data_samples=tag)


def test_flatten_order():
    batch = [[_sample(1), _sample(2)], [_sample(3), _sample(4)],
             [_sample(5), _sample(6)]]
    out = pair_collate(batch)
    assert out['data_samples'] == [1, 2, 3, 4, 5, 6]
    assert len(out['inputs']) == 6
    assert [int(t[0, 0, 0]) for t in out['inputs']] == [1, 2, 3, 4, 5, 6]


def test_single_samples_unchanged():
    out = pair_collate([_sample(1), _sample(2)])
    assert out['data_samples'] == [1, 2]


def test_bad_batches():
    with pytest.raises(ValueError, match='mixing'):
        pair_collate([_sample(1), [_sample(2), _sample(3)]])
    with pytest.raises(ValueError, match='length 3'):
        pair_collate([[_sample(1), _sample(2), _sample(3)]])


def test_registry_lookup_in_mmseg_scope():
    assert DefaultScope.get_current_instance().scope_name == 'mmseg'
    assert FUNCTIONS.get('pair_collate') is pair_collate


def test_runner_build_dataloader(tiny_voc):
    """The config path a user takes: Runner builds loader + collate_fn."""
    loader = Runner.build_dataloader(
        dict(
            batch_size=3,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='pair_collate'),
            dataset=dict(
                type='ImageLevelSegDataset',
                data_root=tiny_voc.root,
                ann_file='ImageSets/Segmentation/train.txt',
                metainfo=tiny_voc.metainfo,
                paired=True,
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='RandomCrop', crop_size=(16, 16)),
                    dict(type='PackImageLevelInputs')
                ])),
        seed=0)
    batches = list(loader)
    assert len(batches) == 6  # 16 pairs, batch size 3
    for batch in batches:
        samples = batch['data_samples']
        assert len(samples) == len(batch['inputs'])
        assert len(samples) % 2 == 0
        for i in range(0, len(samples), 2):
            shared = samples[i].gt_label * samples[i + 1].gt_label
            assert shared.sum() > 0
