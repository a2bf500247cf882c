"""DeepLabLargeFOVHead against DeepLab-LargeFOV (Chen et al., ICLR 2015)."""
import pytest
import torch
from mmengine.config import ConfigDict
from torch import nn

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


def _head(**kwargs):
    cfg = dict(type='DeepLabLargeFOVHead', in_channels=2048, in_index=3,
               num_classes=21)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_layers_match_the_paper():
    """fc6 3x3 dilation 12 -> 1024, fc7 1x1 -> 1024, each ReLU + dropout
    0.5, 1x1 classifier; no normalisation."""
    head = _head()
    assert isinstance(head, BaseDecodeHead)
    fc6, fc7, cls = head.fc6.conv, head.fc7.conv, head.conv_seg
    assert fc6.weight.shape == (1024, 2048, 3, 3)
    assert fc6.dilation == (12, 12) and fc6.padding == (12, 12)
    assert fc6.stride == (1, 1) and fc6.bias is not None
    assert fc7.weight.shape == (1024, 1024, 1, 1) and fc7.bias is not None
    assert cls.weight.shape == (21, 1024, 1, 1)
    assert isinstance(head.fc6.activate, nn.ReLU)
    assert isinstance(head.fc7.activate, nn.ReLU)
    assert not head.fc6.with_norm and not head.fc7.with_norm
    # Element-wise dropout 0.5 after fc6 and after fc7 (Caffe's Dropout).
    assert type(head.fc6_dropout) is nn.Dropout and head.fc6_dropout.p == 0.5
    assert type(head.dropout) is nn.Dropout and head.dropout.p == 0.5
    n_params = sum(p.numel() for p in head.parameters())
    assert n_params == (2048 * 9 + 1) * 1024 + (1024 + 1) * 1024 + \
        (1024 + 1) * 21


def test_widths_dilation_and_dropout_are_configurable():
    head = _head(in_channels=64, fc_channels=32, channels=16, dilation=6,
                 kernel_size=5, fc_dropout_ratio=0.1, dropout_ratio=0.0,
                 channel_dropout=True, num_classes=4)
    assert head.fc6.conv.weight.shape == (32, 64, 5, 5)
    assert head.fc6.conv.dilation == (6, 6)
    assert head.fc6.conv.padding == (12, 12)
    assert head.fc7.conv.weight.shape == (16, 32, 1, 1)
    assert head.conv_seg.weight.shape == (4, 16, 1, 1)
    assert type(head.fc6_dropout) is nn.Dropout2d
    assert head.dropout is None
    with pytest.raises(ValueError, match='kernel_size'):
        _head(kernel_size=2)
    with pytest.raises(ValueError, match='input_transform'):
        _head(in_channels=[8, 16], in_index=[0, 1],
              input_transform='resize_concat')
    with pytest.raises(ValueError, match='fc_dropout_ratio'):
        _head(fc_dropout_ratio=1.0)


def test_receptive_field_is_the_dilated_3x3_grid():
    """An output pixel sees exactly the 3x3 grid of inputs 12 apart (fc7 and
    the classifier are 1x1): the 'large field of view'."""
    torch.manual_seed(0)
    head = _head(in_channels=4, fc_channels=8, channels=8, num_classes=3,
                 in_index=0).eval()
    x = torch.randn(1, 4, 25, 25, requires_grad=True)
    out = head([x])
    assert out.shape == (1, 3, 25, 25)  # padding keeps the size
    out[0, :, 12, 12].sum().backward()
    seen = x.grad[0].abs().sum(0) > 0
    expected = torch.zeros(25, 25, dtype=torch.bool)
    for r in (0, 12, 24):
        for c in (0, 12, 24):
            expected[r, c] = True
    assert torch.equal(seen, expected)


def test_dropout_only_in_training():
    torch.manual_seed(0)
    head = _head(in_channels=8, fc_channels=16, channels=16, num_classes=3,
                 in_index=0)
    x = [torch.randn(2, 8, 6, 7)]
    head.eval()
    assert torch.equal(head(x), head(x))
    head.train()
    assert not torch.equal(head(x), head(x))


def test_trains_in_an_encoder_decoder():
    """An ordinary decode head: loss and predict of mmseg's EncoderDecoder."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor'),
            backbone=dict(type='ResNet', depth=18, base_channels=8,
                          stem_channels=8, strides=(1, 2, 1, 1),
                          dilations=(1, 1, 2, 4)),
            decode_head=dict(type='DeepLabLargeFOVHead', in_channels=64,
                             in_index=3, fc_channels=16, channels=16,
                             dilation=2, num_classes=3),
            test_cfg=ConfigDict(mode='whole')))
    inputs = torch.randn(2, 3, 32, 32)
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(32, 32),
                                        ori_shape=(32, 32),
                                        pad_shape=(32, 32)))
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, 3, (1, 32, 32), dtype=torch.long))
        samples.append(s)
    losses = model.loss(inputs, samples)
    assert set(losses) >= {'decode.loss_ce', 'decode.acc_seg'}
    losses['decode.loss_ce'].backward()
    assert model.decode_head.fc6.conv.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model.predict(inputs, samples)
    assert preds[0].pred_sem_seg.data.shape == (1, 32, 32)
    assert preds[0].seg_logits.data.shape == (3, 32, 32)
