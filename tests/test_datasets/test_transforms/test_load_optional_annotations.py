"""LoadOptionalAnnotations: load the mask when the sample has one."""
import numpy as np
from mmseg.registry import TRANSFORMS
from PIL import Image

from rpnet_mmseg.datasets import LoadOptionalAnnotations


def _results(seg_map_path):
    return dict(seg_map_path=seg_map_path, reduce_zero_label=False,
                seg_fields=[])


def test_registered():
    assert TRANSFORMS.get('LoadOptionalAnnotations') is LoadOptionalAnnotations


def test_without_a_mask_nothing_is_loaded():
    results = _results(None)
    out = LoadOptionalAnnotations()(results)
    assert 'gt_seg_map' not in out
    assert out['seg_fields'] == []


def test_with_a_mask_loads_it_as_load_annotations(tmp_path):
    label = np.zeros((5, 7), np.uint8)
    label[2:, 3:] = 4
    label[0, 0] = 255
    path = tmp_path / 'm.png'
    Image.fromarray(label, mode='L').save(path)
    out = LoadOptionalAnnotations()(_results(str(path)))
    np.testing.assert_array_equal(out['gt_seg_map'], label)
    assert out['seg_fields'] == ['gt_seg_map']
    reference = TRANSFORMS.build(dict(type='mmseg.LoadAnnotations'))(
        _results(str(path)))
    np.testing.assert_array_equal(out['gt_seg_map'], reference['gt_seg_map'])
