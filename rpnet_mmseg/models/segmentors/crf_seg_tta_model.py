"""mmseg's multi-scale + flip TTA with the dense CRF after the merge."""
from typing import List

import torch
from mmengine.structures import PixelData

from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

# Metainfo of the first view that still holds for the merged prediction.
_KEPT_META = ('img_path', 'seg_map_path', 'ori_shape', 'reduce_zero_label',
              'img_id')


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """:class:`SegTTAModel` that applies the module's CRF after the merge.

    mmseg 1.2.2's ``SegTTAModel`` runs the wrapped segmentor on every view
    (scales x flips of ``tta_pipeline``), averages the views' softmax at the
    original image size and takes the argmax. With a
    :class:`CRFEncoderDecoder` whose ``test_cfg.with_crf`` is True this
    model suspends the CRF for the single views and runs it once, on the
    averaged probabilities and the original image, as DeepLab does. Without
    the CRF it predicts exactly as ``SegTTAModel``; unlike it, it also
    accepts test samples without a mask and keeps the sample's original
    metainfo (``img_path``, ``ori_shape`` ...).

    Use ``tta_model = dict(type='CRFSegTTAModel')`` in the config and
    ``tools/test.py CONFIG CKPT --tta``.
    """

    def test_step(self, data) -> SampleList:
        """Predict every view without the CRF, then merge (and refine)."""
        suspend = getattr(self.module, 'crf_suspended', None)
        if suspend is None:
            return super().test_step(data)
        with suspend():
            return super().test_step(data)

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Average the views' probabilities; refine with the CRF if on.

        Args:
            data_samples_list (list[list[SegDataSample]]): For each image,
                the predictions of its views.

        Returns:
            list[SegDataSample]: One merged prediction per image.
        """
        predictions = []
        binary = self.module.out_channels == 1
        crf_on = bool(getattr(self.module, 'crf_enabled', False))
        for views in data_samples_list:
            first = views[0]
            probs = torch.zeros_like(first.seg_logits.data)
            for view in views:
                logits = view.seg_logits.data
                probs += logits.sigmoid() if binary else logits.softmax(0)
            probs /= len(views)
            if crf_on:
                pred = self.module.refine(probs, first.img_path)
            elif binary:
                pred = (probs > self.module.decode_head.threshold).to(probs)
            else:
                pred = probs.argmax(dim=0, keepdim=True)
            meta = {k: first.metainfo[k] for k in _KEPT_META
                    if k in first.metainfo}
            merged = SegDataSample(metainfo=meta)
            merged.pred_sem_seg = PixelData(data=pred)
            if 'gt_sem_seg' in first:
                merged.gt_sem_seg = first.gt_sem_seg
            predictions.append(merged)
        return predictions
