"""Dense CRF: the helper, the post-processor and CRFEncoderDecoder.

Toy case: a dark left part and a bright right part (edge at column 20); a
noisy prediction puts the object boundary at column 26 and flips random
pixels. The CRF must move the prediction toward the image's edge and never
invent a class the prediction does not hold.
"""
import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from PIL import Image

from mmseg.registry import MODELS
from rpnet_mmseg.utils.dense_crf import dense_crf, dense_crf_labels

H, W, EDGE = 30, 40, 20
NUM_CLASSES, OBJ = 5, 3


def toy_image():
    img = np.full((H, W, 3), 40, np.uint8)
    img[:, EDGE:] = 215
    return img


def truth():
    lab = np.zeros((H, W), np.int64)
    lab[:, EDGE:] = OBJ
    return lab


def noisy_probs(seed=0):
    """Boundary at column 26 with p = 0.65, 10% of pixels flipped; the
    classes other than 0 and OBJ get almost no mass."""
    rng = np.random.default_rng(seed)
    pred = np.zeros((H, W), np.int64)
    pred[:, 26:] = OBJ
    flip = rng.random((H, W)) < 0.1
    pred[flip] = np.where(pred[flip] == 0, OBJ, 0)
    probs = np.full((NUM_CLASSES, H, W), 1e-4, np.float32)
    other = np.where(pred == 0, OBJ, 0)
    rows, cols = np.indices((H, W))
    probs[pred, rows, cols] = 0.65
    probs[other, rows, cols] = 1 - 0.65 - 3e-4
    return probs, pred


def agreement(label):
    return float((label == truth()).mean())


def test_crf_moves_a_noisy_prediction_to_the_image_edge():
    probs, pred = noisy_probs()
    before = agreement(pred)
    q = dense_crf(toy_image(), probs)
    assert q.shape == probs.shape and q.dtype == np.float32
    assert np.allclose(q.sum(0), 1, atol=1e-4)  # marginals
    after_label = q.argmax(0)
    after = agreement(after_label)
    assert before < 0.8
    assert after > 0.97, (before, after)
    # Class ids kept: only the two classes the prediction holds.
    assert set(np.unique(after_label)) <= {0, OBJ}


def test_more_weight_on_pairwise_terms_moves_further():
    probs, _ = noisy_probs(1)
    weak = dense_crf(toy_image(), probs, bilateral_compat=0.5,
                     gaussian_compat=0.5).argmax(0)
    strong = dense_crf(toy_image(), probs).argmax(0)
    assert agreement(strong) > agreement(weak)


def test_zero_iterations_return_the_normalised_unary():
    probs, _ = noisy_probs()
    q = dense_crf(toy_image(), probs, num_iters=0)
    # pydensecrf with 0 iterations returns softmax(-unary) = probs / sum.
    assert np.allclose(q, probs / probs.sum(0, keepdims=True), atol=1e-4)


def test_label_crf_fills_unknown_pixels_along_edges():
    """IRN's use: hard labels with gt_prob, unknown pixels (255) take the
    label of their colour region."""
    lab = np.full((H, W), 255, np.int64)
    lab[:, :8] = 0
    lab[:, 32:] = 1
    out = dense_crf_labels(toy_image(), lab, num_classes=2,
                           ignore_index=255)
    expected = (truth() == OBJ).astype(np.int64)
    assert (out == expected).mean() > 0.97
    with pytest.raises(ValueError, match='labels must be in'):
        dense_crf_labels(toy_image(), np.full((H, W), 2), num_classes=2)


def test_helper_checks_shapes():
    probs, _ = noisy_probs()
    with pytest.raises(ValueError, match='image is'):
        dense_crf(toy_image()[:10], probs)
    with pytest.raises(TypeError, match='uint8'):
        dense_crf(toy_image().astype(np.float32), probs)


def _save_image(tmp_path):
    path = str(tmp_path / 'toy.png')
    Image.fromarray(toy_image()).save(path)
    return path


def test_postprocessor_reads_the_original_image(tmp_path):
    path = _save_image(tmp_path)
    crf = MODELS.build(dict(type='DenseCRFPostProcessor'))
    probs, _ = noisy_probs()
    out = crf(torch.from_numpy(probs), path)
    assert isinstance(out, torch.Tensor) and out.shape == probs.shape
    assert agreement(out.argmax(0).numpy()) > 0.97
    with pytest.raises(ValueError, match='toy.png'):
        crf(torch.from_numpy(probs[:, :10]), path)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        crf(torch.from_numpy(probs), str(tmp_path / 'missing.png'))


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
