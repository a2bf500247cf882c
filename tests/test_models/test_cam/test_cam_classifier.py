import math

import pytest
import torch

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample


def tiny_classifier(head_type='CAMHead', **test_cfg):
    head = dict(type=head_type, in_channels=[8, 16, 32, 64], num_classes=3)
    cfg = dict(
        type='CAMClassifier',
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[0, 0, 0],
            std=[1, 1, 1],
            bgr_to_rgb=False),
        backbone=dict(
            type='ResNet',
            depth=18,
            base_channels=8,
            stem_channels=8,
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 1),
            norm_cfg=dict(type='BN')),
        head=head,
        test_cfg=test_cfg or None)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    return model


def _sample(h, w, label):
    ds = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                     img_path=f'img_{h}x{w}.jpg'))
    ds.gt_label = torch.tensor(label, dtype=torch.float32)
    return ds


def test_predict_format_shapes_normalisation_and_keys():
    model = tiny_classifier()
    x = torch.rand(1, 3, 37, 50)
    out = model.predict(x, [_sample(37, 50, [1, 0, 1])])[0]
    assert out.cam_keys.tolist() == [0, 2]
    assert out.cam.shape == (2, math.ceil(37 / 4), math.ceil(50 / 4))
    assert out.high_res.shape == (2, 37, 50)
    for maps in (out.cam, out.high_res):
        assert maps.min() >= 0
        peaks = maps.amax(dim=(1, 2))
        assert torch.all((peaks - 1).abs() < 1e-4)


def test_predict_flip_makes_cams_flip_equivariant():
    model = tiny_classifier(scales=(1.0, 0.5), flip=True)
    x = torch.rand(1, 3, 32, 40)
    a = model.predict(x, [_sample(32, 40, [1, 1, 1])])[0].high_res
    b = model.predict(x.flip(-1), [_sample(32, 40, [1, 1, 1])])[0].high_res
    assert torch.allclose(a, b.flip(-1), atol=1e-5)
    # Without flip the equivariance is generally lost.
    model = tiny_classifier(scales=(1.0, ), flip=False)
    a = model.predict(x, [_sample(32, 40, [1, 1, 1])])[0].high_res
    b = model.predict(x.flip(-1), [_sample(32, 40, [1, 1, 1])])[0].high_res
    assert not torch.allclose(a, b.flip(-1), atol=1e-3)


def test_predict_only_image_classes_and_sum_over_scales():
    model = tiny_classifier(scales=(1.0, ), flip=False)
    x = torch.rand(1, 3, 32, 32)
    out = model.predict(x, [_sample(32, 32, [0, 1, 0])])[0]
    raw = model.encode_decode(x, [{}])[0, 1].clamp(min=0)
    expected = raw / raw.max().clamp(min=1e-5)
    assert torch.allclose(out.high_res[0], expected, atol=1e-4)


def test_predict_rejects_empty_label():
    model = tiny_classifier(scales=(1.0, ), flip=False)
    with pytest.raises(ValueError, match='img_32x32.jpg'):
        model.predict(torch.rand(1, 3, 32, 32), [_sample(32, 32, [0, 0, 0])])


def test_loss_and_tensor_modes_with_rpnet_head():
    model = tiny_classifier('RPNetHead')
    model.train()
    x = torch.rand(4, 3, 32, 32)
    samples = [_sample(32, 32, [1, 0, 0]) for _ in range(4)]
    losses = model(x, samples, mode='loss')
    assert {'loss_cls', 'loss_self'} <= set(losses)
    logits = model(x, samples, mode='tensor')
    assert logits.shape == (4, 3)
    no_label = SegDataSample()
    with pytest.raises(KeyError, match='PackImageLevelInputs'):
        model(x[:2], [samples[0], no_label], mode='loss')
