"""StageProvenanceHook in a real Runner: the val-loop case of issue 6.

A tiny CAM model trains 2 epochs on generated images; after each epoch a
ValLoop writes CAMs into one folder and scores them from the files and from
memory. With ``on_stale='overwrite'`` epoch 2 rewrites every map and both
scores agree; with ``'error'`` epoch 2 stops with a clear error.
"""
import copy
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from PIL import Image

from rpnet_mmseg.engine import StageProvenanceHook, add_run_hooks
from rpnet_mmseg.fileio import StaleOutputError, read_record, weights_sha1

CLASSES = ('background', 'red', 'green')
COLOURS = ((220, 30, 30), (30, 200, 40))
NUM_IMAGES = 8
SIZE = 32


def build_data(root):
    """8 images: grey noise with a coloured square per class, masks, labels."""
    rng = np.random.default_rng(0)
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    labels, names = {}, []
    for i in range(NUM_IMAGES):
        name = f'im_{i}'
        img = rng.integers(90, 140, (SIZE, SIZE, 3)).astype(np.uint8)
        mask = np.zeros((SIZE, SIZE), np.uint8)
        y, x = rng.integers(0, SIZE - 12, 2)
        img[y:y + 12, x:x + 12] = COLOURS[i % 2]
        mask[y:y + 12, x:x + 12] = i % 2 + 1
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', name + '.png'))
        pal = Image.frombytes('P', (SIZE, SIZE), mask.tobytes())
        pal.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
        pal.save(osp.join(root, 'SegmentationClass', name + '.png'))
        labels[name] = np.eye(2, dtype=np.float32)[i % 2]
        names.append(name)
    np.savez(osp.join(root, 'cls_labels.npz'), names=np.array(names),
             labels=np.stack([labels[n] for n in names]))
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')


def make_cfg(root, work_dir, cam_dir, on_stale):
    dataset = dict(
        type='ImageLevelSegDataset',
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        img_suffix='.png',
        metainfo=dict(classes=CLASSES))
    return Config(
        dict(
            default_scope='mmseg',
            work_dir=work_dir,
            model=dict(
                type='CAMClassifier',
                data_preprocessor=dict(
                    type='SegDataPreProcessor',
                    mean=[127.] * 3,
                    std=[128.] * 3,
                    bgr_to_rgb=True,
                    size=(SIZE, SIZE)),
                backbone=dict(
                    type='ResNet',
                    depth=18,
                    base_channels=8,
                    stem_channels=8,
                    strides=(1, 2, 2, 1),
                    dilations=(1, 1, 1, 1)),
                head=dict(
                    type='CAMHead', in_channels=[8, 16, 32, 64],
                    num_classes=2),
                test_cfg=dict(scales=(1.0, ), flip=False)),
            train_dataloader=dict(
                batch_size=4,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dict(
                    dataset,
                    indices=4,  # one iteration per epoch: weights change
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='RandomFlip', prob=0.5),
                        dict(type='PackImageLevelInputs')
                    ])),
            val_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    dataset,
                    test_mode=True,
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='PackImageLevelInputs')
                    ])),
            val_evaluator=[
                dict(type='CAMWriter', output_dir=cam_dir, on_stale=on_stale),
                dict(
                    type='CAMIoUMetric',
                    cam_dir=cam_dir,
                    thresholds=(0.2, 0.4),
                    prefix='file'),
                dict(type='CAMIoUMetric', thresholds=(0.2, 0.4)),
            ],
            optim_wrapper=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
            train_cfg=dict(
                type='EpochBasedTrainLoop', max_epochs=2, val_interval=1),
            val_cfg=dict(type='ValLoop'),
            default_hooks=dict(
                timer=dict(type='IterTimerHook'),
                logger=dict(type='LoggerHook', interval=1),
                checkpoint=dict(
                    type='CheckpointHook',
                    interval=100,
                    save_best='mIoU',
                    rule='greater')),
            env_cfg=dict(dist_cfg=dict(backend='gloo')),
            log_level='WARNING',
            randomness=dict(seed=0)))


class MetricRecorder(Hook):
    """Keep each val epoch's metrics."""

    def __init__(self):
        self.epochs = []

    def after_val_epoch(self, runner, metrics=None):
        self.epochs.append(dict(metrics))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('data'))
    build_data(root)
    return root


def train(cfg, recorder=None):
    runner = Runner.from_cfg(cfg)
    recorder = recorder or MetricRecorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder.epochs


def test_add_hook_once():
    cfg = Config(dict(custom_hooks=[dict(type='EMAHook')]))
    add_run_hooks(cfg)
    add_run_hooks(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'EMAHook', 'StageProvenanceHook', 'CheckpointMatchHook'
    ]
    cfg = Config(dict(custom_hooks=[dict(type='mmseg.StageProvenanceHook')],
                      default_hooks=dict(checkpoint=dict(
                          type='CheckpointHook', interval=2))))
    add_run_hooks(cfg)
    assert len(cfg.custom_hooks) == 2
    assert cfg.default_hooks.checkpoint == dict(
        type='AtomicCheckpointHook', interval=2)
    mine = dict(type='MyCheckpointHook')
    cfg = Config(dict(default_hooks=dict(checkpoint=mine)))
    add_run_hooks(cfg)
    assert cfg.default_hooks.checkpoint == mine
    assert StageProvenanceHook.priority == 'LOW'


def test_val_loop_overwrite_writes_and_scores_each_epoch(data_root, tmp_path):
    cam_dir = str(tmp_path / 'cams')
    cfg = make_cfg(data_root, str(tmp_path / 'work'), cam_dir, 'overwrite')
    add_run_hooks(cfg)
    runner, epochs = train(cfg)
    assert len(epochs) == 2
    for metrics in epochs:
        # Epoch 2 rewrites every map instead of skipping epoch 1's.
        assert metrics['num_written'] == NUM_IMAGES
        assert metrics['num_skipped'] == 0
        # The file-based score is that of this epoch's model outputs.
        for key in ('mIoU@0.20', 'mIoU@0.40'):
            assert metrics[f'file/{key}'] == metrics[key]
    record = read_record(cam_dir)
    assert record['stage'] == 'CAMWriter'
    assert record['weights_sha1'] == weights_sha1(runner.model)
    assert sorted(n for n in os.listdir(cam_dir) if n.endswith('.npz')) == [
        f'im_{i}.npz' for i in range(NUM_IMAGES)
    ]
    # save_best='mIoU' works on the in-memory CAM metric.
    best = [n for n in os.listdir(runner.work_dir) if n.startswith('best_')]
    assert len(best) == 1 and best[0].startswith('best_mIoU_epoch_')


def test_val_loop_error_names_the_folder(data_root, tmp_path):
    cam_dir = str(tmp_path / 'cams')
    cfg = make_cfg(data_root, str(tmp_path / 'work'), cam_dir, 'error')
    add_run_hooks(cfg)
    recorder = MetricRecorder()
    with pytest.raises(StaleOutputError) as info:
        train(copy.deepcopy(cfg), recorder)
    # Epoch 1 wrote its maps; epoch 2, with new weights, stopped.
    assert len(recorder.epochs) == 1
    assert recorder.epochs[0]['num_written'] == NUM_IMAGES
    msg = str(info.value)
    assert cam_dir in msg and 'weights_sha1' in msg
    assert "on_stale='overwrite'" in msg


def test_val_loop_without_hook_refuses_to_resume(data_root, tmp_path):
    cam_dir = str(tmp_path / 'cams')
    cfg = make_cfg(data_root, str(tmp_path / 'work'), cam_dir, 'error')
    recorder = MetricRecorder()
    with pytest.raises(StaleOutputError, match='StageProvenanceHook'):
        train(cfg, recorder)
    assert len(recorder.epochs) == 1
    assert read_record(cam_dir)['producer'] == 'unknown'


def test_stage_inputs_make_another_producer(tmp_path):
    """New CAMs (another ``stage_inputs``) with the same IRN weights are
    another producer of the pseudo-labels: the folder is not resumed."""
    import types

    from mmengine.config import Config
    from torch import nn

    from rpnet_mmseg.engine import StageProvenanceHook
    from rpnet_mmseg.evaluation import LabelPNGWriter
    from rpnet_mmseg.fileio import StaleOutputError

    out = str(tmp_path / 'pseudo_labels')
    model = nn.Linear(2, 2)

    def hand_over(inputs):
        writer = LabelPNGWriter(output_dir=out)
        cfg = Config(dict(model=dict(type='X'), stage_inputs=inputs))
        runner = types.SimpleNamespace(
            cfg=cfg, model=model, _load_from='w.pth',
            test_loop=types.SimpleNamespace(
                evaluator=types.SimpleNamespace(metrics=[writer]),
                dataloader=None))
        StageProvenanceHook()._hand_over(runner, 'test')
        return writer

    hand_over(dict(cams='aaa'))
    # a finished file of the first producer
    open(osp.join(out, 'im_0.png'), 'wb').close()
    with open(osp.join(out, '.rpnet_written.rank0.txt'), 'w') as f:
        f.write('im_0.png\n')
    hand_over(dict(cams='aaa'))  # the same inputs: resumed
    with pytest.raises(StaleOutputError, match='input cams'):
        hand_over(dict(cams='bbb'))


def _hand_over_test(cfg, writer, name):
    """The hook's hand-over to ``writer`` in a test loop of ``cfg`` (a
    stand-in runner), then a finished file ``name`` listed as written."""
    import types

    import torch
    from torch import nn
    torch.manual_seed(0)  # the same weights at every call
    runner = types.SimpleNamespace(
        cfg=cfg, model=nn.Linear(2, 2), _load_from='w.pth',
        test_loop=types.SimpleNamespace(
            evaluator=types.SimpleNamespace(metrics=[writer]),
            dataloader=None))
    StageProvenanceHook()._hand_over(runner, 'test')
    if not osp.exists(osp.join(writer.output_dir, name)):
        open(osp.join(writer.output_dir, name), 'wb').close()
        with open(osp.join(writer.output_dir,
                           '.rpnet_written.rank0.txt'), 'a') as f:
            f.write(f'{name}\n')


def test_rewritten_cam_folder_makes_another_producer(tmp_path):
    """Without a pipeline, the CAM folder the test pipeline reads is part
    of the producer: CAMs rewritten in place are not resumed into."""
    from mmengine.config import Config

    from rpnet_mmseg.evaluation import LabelPNGWriter
    from rpnet_mmseg.fileio import StaleOutputError

    out, cams = str(tmp_path / 'pseudo_labels'), tmp_path / 'cams'
    cams.mkdir()
    (cams / 'im_0.npz').write_bytes(b'old')
    cfg = Config(dict(model=dict(type='X'), test_dataloader=dict(
        dataset=dict(pipeline=[dict(type='LoadCAMFromFile',
                                    cam_dir=str(cams))]))))

    def hand_over():
        _hand_over_test(cfg, LabelPNGWriter(output_dir=out), 'im_0.png')

    hand_over()
    hand_over()  # same CAMs: resumed
    (cams / 'im_0.npz').write_bytes(b'new CAMs')
    with pytest.raises(StaleOutputError, match=str(cams)):
        hand_over()


def test_replaced_image_makes_another_producer(tmp_path):
    """Without a pipeline, the loop's data is part of the producer: an
    image replaced at the same path is not resumed into; a split that only
    selects other images is."""
    import shutil

    from rpnet_mmseg.evaluation import CAMWriter

    root = str(tmp_path / 'data')
    build_data(root)
    out = str(tmp_path / 'cams')
    cfg = make_cfg(root, str(tmp_path / 'work'), out, 'error')
    cfg.test_dataloader = cfg.val_dataloader

    def hand_over():
        _hand_over_test(cfg, CAMWriter(output_dir=out), 'im_0.npz')

    hand_over()
    hand_over()  # the same data: resumed
    split = osp.join(root, 'ImageSets/Segmentation/train.txt')
    with open(split, 'a') as f:
        f.write('im_0\n')
    hand_over()  # the split only selects images: resumed
    images = osp.join(root, 'JPEGImages')
    shutil.copy(osp.join(images, 'im_1.png'), osp.join(images, 'im_0.png'))
    with pytest.raises(StaleOutputError, match='JPEGImages'):
        hand_over()
