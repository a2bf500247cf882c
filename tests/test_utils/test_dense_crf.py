"""rpnet_mmseg.utils.dense_crf: the two recipes, the inference, relabelling.

Toy case: a dark left part and a bright right part (edge at column 20); a
noisy prediction puts the object boundary at column 26 and flips random
pixels. The CRF must move the prediction toward the image's edge and never
invent a class the prediction does not hold.
"""
import numpy as np
import pytest

from rpnet_mmseg.utils import (DEEPLAB_CRF_PARAMS, IRN_CRF_PARAMS,
                               crf_relabel, dense_crf, dense_crf_labels,
                               merge_crf_params)

from crf_toy import EDGE, OBJ, H, W, agreement, noisy_probs, toy_image, truth


def _pydensecrf(image, unary, gaussian, bilateral, num_iters=10):
    """Marginals computed with pydensecrf directly, not through the
    module: ``gaussian`` (sxy, compat), ``bilateral`` (sxy, srgb, compat).
    """
    import pydensecrf.densecrf as dcrf
    crf = dcrf.DenseCRF2D(image.shape[1], image.shape[0], unary.shape[0])
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(sxy=gaussian[0], compat=gaussian[1])
    crf.addPairwiseBilateral(sxy=bilateral[0], srgb=bilateral[1],
                             rgbim=image, compat=bilateral[2])
    return np.array(crf.inference(num_iters)).reshape(-1, *image.shape[:2])


def test_the_two_recipes():
    """IRN's relation-label CRF and DeepLab's post-processing CRF."""
    assert IRN_CRF_PARAMS == dict(
        num_iters=10,
        gt_prob=0.7,
        gaussian_sxy=3.0,
        gaussian_compat=3.0,
        bilateral_sxy=50.0,
        bilateral_srgb=5.0,
        bilateral_compat=10.0)
    assert DEEPLAB_CRF_PARAMS == dict(
        num_iters=10,
        gaussian_sxy=1.0,
        gaussian_compat=3.0,
        bilateral_sxy=67.0,
        bilateral_srgb=3.0,
        bilateral_compat=4.0)


def test_merge_crf_params_names_unknown_keys():
    merged = merge_crf_params(IRN_CRF_PARAMS, dict(num_iters=3))
    assert merged == dict(IRN_CRF_PARAMS, num_iters=3)
    assert IRN_CRF_PARAMS['num_iters'] == 10  # the recipe is not changed
    assert merge_crf_params(DEEPLAB_CRF_PARAMS) == DEEPLAB_CRF_PARAMS
    with pytest.raises(KeyError, match='gt_prob'):
        merge_crf_params(DEEPLAB_CRF_PARAMS, dict(gt_prob=0.7))
    with pytest.raises(KeyError, match='sxy_g'):
        dense_crf(toy_image(), noisy_probs()[0], sxy_g=3)


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


def test_relabel_probs_is_deeplabs_crf_on_the_class_ids():
    """unary='probs': DeepLab's CRF (pydensecrf directly, softmax unary),
    argmax mapped to the channels' class ids."""
    from pydensecrf.utils import unary_from_softmax
    probs, _ = noisy_probs()
    ref = _pydensecrf(toy_image(), unary_from_softmax(probs, clip=1e-5),
                      (1, 3), (67, 3, 4)).argmax(0)
    out = crf_relabel(toy_image(), probs, unary='probs')
    assert out.dtype == np.int64 and np.array_equal(out, ref)
    ids = np.array([2, 9, 4, 7, 11])
    assert np.array_equal(
        crf_relabel(toy_image(), probs, ids, unary='probs'), ids[ref])


def test_relabel_scores_is_irns_crf_on_their_argmax():
    """unary='labels' (the default): IRN's CRF on the scores' argmax
    (pydensecrf directly, unary_from_labels), mapped to the class ids."""
    from pydensecrf.utils import unary_from_labels
    rng = np.random.default_rng(3)
    scores = rng.random((3, H, W)).astype(np.float32)
    scores[1, :, EDGE + 4:] += 0.6  # class of channel 1 on the right
    ref = _pydensecrf(
        toy_image(),
        unary_from_labels(scores.argmax(0), 3, 0.7, zero_unsure=False),
        (3, 3), (50, 5, 10)).argmax(0)
    ids = np.array([0, 6, 2])
    out = crf_relabel(toy_image(), scores, ids)
    assert out.dtype == np.int64 and np.array_equal(out, ids[ref])
    # A labelling of those ids is the same as its one-hot scores.
    onehot = (ids[scores.argmax(0)] == ids[:, None, None]).astype(np.float32)
    assert np.array_equal(
        crf_relabel(toy_image(), ids[scores.argmax(0)], ids),
        crf_relabel(toy_image(), onehot, ids))
    # Parameters override IRN's.
    ref3 = _pydensecrf(
        toy_image(),
        unary_from_labels(scores.argmax(0), 3, 0.9, zero_unsure=False),
        (3, 3), (50, 5, 10), num_iters=2).argmax(0)
    assert np.array_equal(
        crf_relabel(toy_image(), scores, ids, num_iters=2, gt_prob=0.9),
        ids[ref3])


def test_relabel_follows_the_image_and_keeps_ids():
    # A bright square on a dark image; the label is the square shifted by
    # 3 pixels with class id 8 (key 7). The CRF pulls it onto the square.
    image = np.zeros((40, 40, 3), np.uint8)
    image[10:30, 10:30] = 230
    label = np.zeros((40, 40), np.int64)
    label[13:33, 13:33] = 8
    truth = np.zeros((40, 40), np.int64)
    truth[10:30, 10:30] = 8
    refined = crf_relabel(image, label, [0, 8], **IRN_CRF_PARAMS)
    assert set(np.unique(refined).tolist()) <= {0, 8}
    assert (refined != truth).sum() < (label != truth).sum() / 4
    with pytest.raises(ValueError, match='outside class_ids'):
        crf_relabel(image, label, [0, 3], **IRN_CRF_PARAMS)
    # No class but the background: the label is returned as it is.
    zero = np.zeros((40, 40), np.int64)
    assert crf_relabel(image, zero, [0]) is zero
    one = crf_relabel(image, np.ones((1, 40, 40), np.float32), [5])
    assert one.dtype == np.int64 and (one == 5).all()


def test_relabel_checks_its_arguments():
    probs, _ = noisy_probs()
    with pytest.raises(ValueError, match='unary must be'):
        crf_relabel(toy_image(), probs, unary='softmax')
    with pytest.raises(ValueError, match='5 score channels for 2'):
        crf_relabel(toy_image(), probs, [0, 1])
    with pytest.raises(ValueError, match='distinct'):
        crf_relabel(toy_image(), probs[:2], [1, 1])
    with pytest.raises(ValueError, match='needs its class_ids'):
        crf_relabel(toy_image(), truth())
    with pytest.raises(ValueError, match=r'needs \(K, H, W\) scores'):
        crf_relabel(toy_image(), truth(), [0, OBJ], unary='probs')
    with pytest.raises(KeyError, match='gt_prob'):
        crf_relabel(toy_image(), probs, unary='probs', gt_prob=0.7)
