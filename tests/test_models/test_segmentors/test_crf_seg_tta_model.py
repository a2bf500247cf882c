"""CRFSegTTAModel: mmseg's TTA merge, then the CRF once on the original."""
import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from PIL import Image

from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

H, W, K = 20, 24, 4


def _image():
    img = np.full((H, W, 3), 30, np.uint8)
    img[:, 12:] = 220
    return img


def _module(with_crf):
    torch.manual_seed(0)
    return dict(
        type='CRFEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.] * 3,
                               std=[64.] * 3),
        backbone=dict(type='ResNet', depth=18, base_channels=4,
                      stem_channels=4, strides=(1, 2, 1, 1),
                      dilations=(1, 1, 2, 4)),
        decode_head=dict(type='DeepLabLargeFOVHead', in_channels=32,
                         in_index=3, fc_channels=8, channels=8, dilation=2,
                         num_classes=K),
        test_cfg=ConfigDict(mode='whole', with_crf=with_crf))


def _views(path, with_gt=True):
    """Two views of one image: as is, and flipped horizontally."""
    img = torch.from_numpy(_image()).permute(2, 0, 1).float()
    inputs, samples = [], []
    for flip in (False, True):
        meta = dict(img_path=path, ori_shape=(H, W), img_shape=(H, W),
                    pad_shape=(H, W), flip=flip, flip_direction='horizontal')
        s = SegDataSample(metainfo=meta)
        if with_gt:
            s.gt_sem_seg = PixelData(data=torch.zeros(1, H, W,
                                                      dtype=torch.long))
        inputs.append([img.flip(-1) if flip else img])
        samples.append([s])
    return dict(inputs=inputs, data_samples=samples)


def _logit_samples(seed=0):
    g = torch.Generator().manual_seed(seed)
    views = []
    for _ in range(3):
        s = SegDataSample(metainfo=dict(img_path='x.png', ori_shape=(H, W)))
        s.seg_logits = PixelData(data=torch.randn(K, H, W, generator=g))
        s.gt_sem_seg = PixelData(data=torch.zeros(1, H, W, dtype=torch.long))
        views.append(s)
    return views


def test_without_crf_merges_like_mmseg():
    ours = MODELS.build(dict(type='CRFSegTTAModel', module=_module(False)))
    theirs = SegTTAModel(module=MODELS.build(_module(False)))
    views = _logit_samples()
    a = ours.merge_preds([views])[0]
    b = theirs.merge_preds([views])[0]
    assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
    # Independent expectation: argmax of the mean softmax.
    mean = torch.stack([v.seg_logits.data.softmax(0) for v in views]).mean(0)
    assert torch.equal(a.pred_sem_seg.data[0], mean.argmax(0))
    assert a.img_path == 'x.png' and a.ori_shape == (H, W)
    assert 'gt_sem_seg' in a


def test_crf_runs_once_after_the_merge(tmp_path):
    path = str(tmp_path / 'img.png')
    Image.fromarray(_image()).save(path)
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=_module(True)))
    tta.eval()
    calls = []
    crf = tta.module.crf
    original = crf.__class__.relabel

    def spy(probs, img_path):
        calls.append(probs.clone())
        return original(crf, probs, img_path)

    crf.relabel = spy
    with torch.no_grad():
        out = tta.test_step(_views(path))
    assert len(out) == 1 and len(calls) == 1  # once, not once per view
    # The CRF input is the mean of the views' softmax at the original size,
    # views un-flipped: recompute it from the plain module.
    plain = MODELS.build(_module(False)).eval()
    with torch.no_grad():
        views = [plain.test_step(dict(inputs=d, data_samples=s))[0]
                 for d, s in zip(_views(path)['inputs'],
                                 _views(path)['data_samples'])]
    mean = torch.stack([v.seg_logits.data.softmax(0) for v in views]).mean(0)
    assert torch.allclose(calls[0], mean, atol=1e-5)
    expected = crf(mean, path).argmax(0)  # the CRF marginals' argmax
    assert torch.equal(out[0].pred_sem_seg.data[0], expected)
    # The suspension ends with the call.
    assert not tta.module._crf_suspended


def test_samples_without_a_mask():
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=_module(False)))
    views = _logit_samples()
    for v in views:
        del v.gt_sem_seg
    merged = tta.merge_preds([views])[0]
    assert 'gt_sem_seg' not in merged
    assert merged.pred_sem_seg.data.shape == (1, H, W)
