"""IRN's relation labels on small synthetic images."""
import numpy as np
import pytest

from rpnet_mmseg.refine import make_relation_label, relation_label_params
from rpnet_mmseg.utils import IRN_CRF_PARAMS


def _square_scene(size=48, seed=0):
    """A red square object in a green ring on grey noise, and a CAM that
    is high on the object, 0.05..0.30 on most of the ring, ~0 outside.

    Returns the image, the CAM and each pixel's Chebyshev distance ``r``
    from the centre (object: r < 8, ring: 8 <= r < 15).
    """
    rng = np.random.default_rng(seed)
    img = rng.integers(110, 130, (size, size, 3)).astype(np.uint8)
    yy, xx = np.mgrid[:size, :size]
    centre = size / 2 - 0.5
    r = np.maximum(abs(yy - centre), abs(xx - centre))
    img[r < 15] = (40, 160, 40)
    img[r < 8] = (200, 30, 30)
    cam = (np.clip(1.0 - r / 20, 0, 1)**2).astype(np.float32)
    return img, cam, r


def test_square_with_cam_blob():
    img, cam, r = _square_scene()
    label = make_relation_label(img, dict(keys=np.array([4]),
                                          high_res=cam[None]))
    assert label.dtype == np.uint8 and label.shape == img.shape[:2]
    # Foreground inside, background far away, unsure in between; the CRF
    # moves the thresholds' square contours (CAM = 0.30 at r = 9, 0.05 at
    # r = 15.5) onto the colour edges at r = 8 and r = 15.
    expected = np.where(r < 8, 5, np.where(r < 15, 255, 0))
    np.testing.assert_array_equal(label, expected)


def test_rule_without_crf_iterations():
    # With 0 mean-field iterations the CRF returns its unary's argmax, so
    # the label is IRN's rule on the thresholds alone: class where the CAM
    # beats 0.30, background where it does not beat 0.05, 255 between.
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (10, 12, 3)).astype(np.uint8)
    cams = rng.random((2, 10, 12)).astype(np.float32) * 0.6
    label = make_relation_label(
        img, dict(keys=np.array([0, 9]), high_res=cams), num_iters=0)
    best = cams.max(0)
    expected = np.full((10, 12), 255, np.uint8)
    expected[best > 0.30] = np.array([1, 10])[cams.argmax(0)][best > 0.30]
    expected[best <= 0.05] = 0
    np.testing.assert_array_equal(label, expected)
    # Equal thresholds: nothing is unsure.
    label = make_relation_label(
        img,
        dict(keys=np.array([0, 9]), high_res=cams),
        fg_thresh=0.2,
        bg_thresh=0.2,
        num_iters=0)
    assert 255 not in label


def test_crf_parameters_are_used():
    img, cam, r = _square_scene()
    cam_dict = dict(keys=np.array([0]), high_res=cam[None])
    # Without pairwise kernels the CRF keeps the thresholds' contours.
    flat = make_relation_label(
        img, cam_dict, gaussian_compat=0, bilateral_compat=0)
    expected = np.where(cam > 0.30, 1, np.where(cam > 0.05, 255, 0))
    np.testing.assert_array_equal(flat, expected)
    assert (flat != make_relation_label(img, cam_dict)).sum() > 100


def test_no_class_is_background():
    img = np.zeros((6, 7, 3), np.uint8)
    label = make_relation_label(
        img, dict(keys=np.zeros(0, np.int64), high_res=np.zeros((0, 6, 7))))
    assert label.shape == (6, 7) and (label == 0).all()


def test_errors():
    img = np.zeros((6, 7, 3), np.uint8)
    with pytest.raises(ValueError, match='K = len'):
        make_relation_label(
            img, dict(keys=np.array([1, 2]), high_res=np.zeros((1, 6, 7))))
    with pytest.raises(ValueError, match='the image is'):
        make_relation_label(
            img, dict(keys=np.array([1]), high_res=np.zeros((1, 6, 8))))
    with pytest.raises(ValueError, match='keys'):
        make_relation_label(
            img, dict(keys=np.array([254]), high_res=np.zeros((1, 6, 7))))


def test_params():
    params = relation_label_params(crf=dict(num_iters=3))
    assert params['num_iters'] == 3 and params['gt_prob'] == 0.7
    assert params['fg_thresh'] == 0.30 and params['bg_thresh'] == 0.05
    # the other CRF parameters keep IRN's recipe (its values are asserted
    # in tests/test_utils/test_dense_crf.py)
    assert params == dict(IRN_CRF_PARAMS, num_iters=3, fg_thresh=0.30,
                          bg_thresh=0.05, ignore_index=255)
    with pytest.raises(KeyError, match='sxy_g'):
        relation_label_params(crf=dict(sxy_g=3))


def test_split_name_outside_the_folder_is_refused_before_writing(tmp_path):
    from rpnet_mmseg.refine import write_relation_labels
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'train.txt').write_text('a\n../x\n')
    (tmp_path / 'cams').mkdir()
    with pytest.raises(ValueError, match=r"train\.txt' line 2: .*'\.\./x'"):
        write_relation_labels(
            str(tmp_path / 'data'), 'train.txt', str(tmp_path / 'cams'),
            str(tmp_path / 'out' / 'rel'))
    assert not (tmp_path / 'out').exists()
