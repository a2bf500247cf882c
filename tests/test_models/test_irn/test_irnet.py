"""IRNet: frozen backbone, losses reach the heads, pseudo-label inference."""
import math

import numpy as np

import pytest
import torch
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from rpnet_mmseg.refine import PathIndex

TINY = dict(
    type='IRNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[127.] * 3,
        std=[128.] * 3,
        bgr_to_rgb=True,
        size=(32, 32),
        seg_pad_val=255),
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        stem_channels=8,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1)),
    edge_head=dict(
        type='IRNEdgeHead',
        in_channels=[8, 16, 32, 64],
        channels=8,
        num_groups=2),
    displacement_head=dict(
        type='IRNDisplacementHead',
        in_channels=[8, 16, 32, 64],
        channels=[8, 16, 16, 16],
        fuse_channels=16),
    train_cfg=dict(path_index=dict(radius=4)),
    test_cfg=dict(path_index=dict(radius=3), exp_times=3))


def _model(**overrides):
    torch.manual_seed(0)
    cfg = dict(TINY, **overrides)
    return MODELS.build(cfg)


def _batch(n=2, size=32):
    g = torch.Generator().manual_seed(0)
    inputs = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    samples = []
    for i in range(n):
        seg = torch.zeros(1, size, size, dtype=torch.long)
        seg[:, 4:20, 6:18 + i] = 1 + i
        seg[:, 4:20, 18 + i:20 + i] = 255
        ds = SegDataSample(
            metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        ds.gt_sem_seg = PixelData(data=seg)
        samples.append(ds)
    return inputs, samples


def test_path_indices_from_the_config():
    model = _model(train_cfg=None, test_cfg=None)
    assert isinstance(model.train_path_index, PathIndex)
    assert model.train_path_index.radius == 10
    assert model.test_path_index.radius == 5
    assert len(model.train_path_index.directions) == 152
    assert len(model.test_path_index.directions) == 34
    assert (model.beta, model.exp_times, model.bg_threshold) == (10, 8, 0.25)
    with pytest.raises(ValueError, match="type must be 'PathIndex'"):
        _model(train_cfg=dict(path_index=dict(type='Other', radius=3)))


def test_backbone_frozen_heads_trained():
    model = _model()
    model.train()
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert not any(m.training for m in model.backbone.modules())
    assert model.edge_head.training and model.displacement_head.training
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'loss_bg_pos', 'loss_fg_pos', 'loss_neg', 'loss_dp_fg', 'loss_dp_bg'
    }
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert trainable and all(
        n.startswith(('edge_head.', 'displacement_head.'))
        for n, _ in trainable)
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for _, p in trainable)
    assert all(p.grad is None for p in model.backbone.parameters())


def test_without_displacement_head():
    model = _model(displacement_head=None)
    losses = model.loss(*_batch())
    assert set(losses) == {'loss_bg_pos', 'loss_fg_pos', 'loss_neg'}


def test_training_needs_relation_labels():
    model = _model()
    inputs, samples = _batch()
    del samples[1].gt_sem_seg
    with pytest.raises(KeyError, match=r'\[1\] have no gt_sem_seg'):
        model.loss(inputs, samples)


def _test_sample(h, w, keys, cam_hw=None):
    ds = SegDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=(h, w),
            img_path=f'/data/im_{h}x{w}.jpg'))
    ch, cw = cam_hw or (math.ceil(h / 4), math.ceil(w / 4))
    g = torch.Generator().manual_seed(1)
    ds.cam = torch.rand(len(keys), ch, cw, generator=g)
    ds.cam_keys = torch.tensor(keys)
    return ds


def test_predict_gives_full_size_labels_of_the_image_classes():
    model = _model()
    model.eval()
    h, w = 30, 37  # stride-4 grid 8 x 10
    inputs = torch.rand(1, 3, h, w) * 2 - 1
    out = model.predict(inputs, [_test_sample(h, w, [0, 2])])[0]
    label = out.pred_sem_seg.data
    assert label.shape == (1, h, w) and label.dtype == torch.long
    assert set(label.unique().tolist()) <= {0, 1, 3}
    assert out.boundary.shape == (8, 10)
    assert float(out.boundary.min()) >= 0 and float(out.boundary.max()) <= 1
    # The boundary is the sigmoid of the mean logit of image and flip.
    logits = model._forward(torch.cat([inputs, inputs.flip(-1)]))[:, 0]
    want = torch.sigmoid((logits[0] + logits[1].flip(-1)) / 2)[:8, :10]
    assert torch.allclose(out.boundary, want, atol=1e-6)


def test_predict_errors_name_the_image():
    model = _model()
    model.eval()
    inputs = torch.rand(1, 3, 30, 37)
    with pytest.raises(ValueError, match=r'im_30x37\.jpg.*\(7, 10\)'):
        model.predict(inputs, [_test_sample(30, 37, [0], cam_hw=(7, 10))])
    bare = _test_sample(30, 37, [0])
    del bare.cam
    with pytest.raises(KeyError, match='LoadCAMFromFile'):
        model.predict(inputs, [bare])
    resized = _test_sample(30, 37, [0])
    resized.set_metainfo(dict(ori_shape=(60, 74)))
    with pytest.raises(ValueError, match='drop the resize'):
        model.predict(inputs, [resized])


def test_predict_with_walked_background_and_crf():
    from rpnet_mmseg.utils import IRN_CRF_PARAMS
    model = _model(test_cfg=dict(
        path_index=dict(radius=3),
        exp_times=3,
        bg_mode='walked',
        bg_power=2,
        crf=IRN_CRF_PARAMS))
    model.eval()
    h, w = 30, 37
    image = torch.randint(0, 256, (3, h, w)).float()
    inputs = ((image - 127.) / 128.)[None]
    # The CRF sees the image the data preprocessor normalised.
    assert np.array_equal(model._image_uint8(inputs[0]),
                          image.byte().permute(1, 2, 0).numpy())
    out = model.predict(inputs, [_test_sample(h, w, [0, 2])])[0]
    label = out.pred_sem_seg.data
    assert label.shape == (1, h, w)
    assert set(label.unique().tolist()) <= {0, 1, 3}


@pytest.mark.parametrize('test_cfg, match', [
    (dict(bg_mode='psa'), 'bg_mode must be'),
    (dict(bg_mode='walked'), 'bg_power'),
])
def test_bad_test_cfg_is_named(test_cfg, match):
    with pytest.raises(ValueError, match=match):
        _model(test_cfg=test_cfg)
