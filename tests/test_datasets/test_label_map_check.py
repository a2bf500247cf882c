"""run_pipeline_checked: the label map is checked right after it is loaded."""
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmseg.registry import TRANSFORMS
from PIL import Image

from rpnet_mmseg.datasets.label_map_check import run_pipeline_checked
from rpnet_mmseg.fileio import LabelMapError

H, W = 12, 16


def _sample(tmp_path, label: np.ndarray, mode: str = 'L') -> dict:
    img = tmp_path / 'a.jpg'
    seg = tmp_path / 'a.png'
    Image.fromarray(np.full((H, W, 3), 90, np.uint8)).save(img)
    Image.fromarray(label, mode=mode).save(seg)
    return dict(img_path=str(img), seg_map_path=str(seg), reduce_zero_label=False,
                seg_fields=[])


def _pipeline(*extra) -> Compose:
    cfgs = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            *extra]
    return Compose([TRANSFORMS.build(cfg) for cfg in cfgs])


def test_good_label_map_passes(tmp_path):
    label = np.zeros((H, W), np.uint8)
    label[:, W // 2:] = 3
    out = run_pipeline_checked(_pipeline(), _sample(tmp_path, label))
    assert out['gt_seg_map'].shape == (H, W)
    assert set(np.unique(out['gt_seg_map'])) == {0, 3}


def test_rgb_label_map_is_refused_with_its_file(tmp_path):
    sample = _sample(tmp_path, np.zeros((H, W, 3), np.uint8), mode='RGB')
    with pytest.raises(LabelMapError, match=r"a\.png' was read as an array"):
        run_pipeline_checked(_pipeline(), sample)


def test_wrong_size_is_caught_before_a_resize_hides_it(tmp_path):
    """A later Resize would give the label its image's size: the check runs
    on what the loading transform produced."""
    sample = _sample(tmp_path, np.zeros((H + 4, W), np.uint8))
    resize = dict(type='Resize', scale=(8, 8), keep_ratio=False)
    with pytest.raises(LabelMapError, match=r'16x16 \(HxW\) but its image '
                       r"'.*a\.jpg' is 12x16"):
        run_pipeline_checked(_pipeline(resize), sample)
    # Without the check, the same pipeline hides the mismatch.
    out = _pipeline(resize)(_sample(tmp_path, np.zeros((H + 4, W), np.uint8)))
    assert out['gt_seg_map'].shape == (8, 8)


def test_a_transform_returning_none_stops_the_pipeline(tmp_path):
    calls = []

    def drop(results):
        return None

    def after(results):
        calls.append(results)
        return results

    pipeline = Compose([drop, after])
    assert run_pipeline_checked(pipeline, {'img_path': 'x'}) is None
    assert calls == []
