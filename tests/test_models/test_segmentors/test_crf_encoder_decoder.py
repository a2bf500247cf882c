"""CRFEncoderDecoder: EncoderDecoder whose predictions a dense CRF refines.

Toy image: a dark left part and a bright right part (edge at column 20).
"""
import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from PIL import Image

from mmseg.registry import MODELS

H, W, EDGE = 30, 40, 20
NUM_CLASSES = 5


def toy_image():
    img = np.full((H, W, 3), 40, np.uint8)
    img[:, EDGE:] = 215
    return img


def _save_image(tmp_path):
    path = str(tmp_path / 'toy.png')
    Image.fromarray(toy_image()).save(path)
    return path


def _pydensecrf_reference(image, probs):
    """Expected result computed with pydensecrf directly (DeepLab's
    parameters), not through rpnet_mmseg's helper."""
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax
    crf = dcrf.DenseCRF2D(W, H, probs.shape[0])
    crf.setUnaryEnergy(unary_from_softmax(probs, clip=1e-5))
    crf.addPairwiseGaussian(sxy=1, compat=3)
    crf.addPairwiseBilateral(sxy=67, srgb=3, rgbim=image, compat=4)
    return np.array(crf.inference(10)).reshape(-1, H, W).argmax(0)


def _tiny_segmentor(with_crf):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='CRFEncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor',
                                   mean=[127.] * 3, std=[64.] * 3),
            backbone=dict(type='ResNet', depth=18, base_channels=4,
                          stem_channels=4, strides=(1, 2, 1, 1),
                          dilations=(1, 1, 2, 4)),
            decode_head=dict(type='DeepLabLargeFOVHead', in_channels=32,
                             in_index=3, fc_channels=8, channels=8,
                             dilation=2, num_classes=NUM_CLASSES),
            test_cfg=ConfigDict(mode='whole', with_crf=with_crf))).eval()


def _sample(path):
    from mmseg.structures import SegDataSample
    return SegDataSample(metainfo=dict(
        img_path=path, ori_shape=(H, W), img_shape=(H, W),
        pad_shape=(H, W), padding_size=[0, 0, 0, 0]))


def test_crf_encoder_decoder_refines_predictions(tmp_path):
    path = _save_image(tmp_path)
    inputs = torch.from_numpy(toy_image()).permute(2, 0, 1)[None].float()
    plain, crf = _tiny_segmentor(False), _tiny_segmentor(True)
    with torch.no_grad():
        p = plain.predict(inputs, [_sample(path)])[0]
        c = crf.predict(inputs, [_sample(path)])[0]
    # Same network, same logits; only pred_sem_seg differs.
    assert torch.allclose(p.seg_logits.data, c.seg_logits.data)
    assert torch.equal(p.pred_sem_seg.data[0],
                       p.seg_logits.data.argmax(0))
    probs = c.seg_logits.data.softmax(0).numpy()
    expected = _pydensecrf_reference(toy_image(), probs)
    assert np.array_equal(c.pred_sem_seg.data[0].numpy(), expected)
    with crf.crf_suspended():
        with torch.no_grad():
            s = crf.predict(inputs, [_sample(path)])[0]
    assert torch.equal(s.pred_sem_seg.data, p.pred_sem_seg.data)
    with pytest.raises(ValueError, match='crf config'):
        MODELS.build(dict(type='CRFEncoderDecoder', crf=None,
                          backbone=dict(type='ResNet', depth=18),
                          decode_head=dict(type='DeepLabLargeFOVHead',
                                           in_channels=512, num_classes=2),
                          test_cfg=ConfigDict(with_crf=True)))
