"""EncoderDecoder with optional dense-CRF post-processing at test time."""
from contextlib import contextmanager
from typing import Iterator

import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptSampleList, SampleList


@MODELS.register_module()
class CRFEncoderDecoder(EncoderDecoder):
    """mmseg's EncoderDecoder whose predictions may be refined by a CRF.

    Training, features and logits are exactly :class:`EncoderDecoder`'s.
    At test time, when ``test_cfg.with_crf`` is True, each image's softmax
    (at its original size, after mmseg removes padding, undoes the flip and
    resizes) is refined by ``crf`` (a :class:`DenseCRFPostProcessor`) on the
    original image and ``pred_sem_seg`` becomes the argmax of the CRF
    marginals; ``seg_logits`` stay the network's. Switch it per run, e.g.
    ``tools/test.py CONFIG CKPT --cfg-options model.test_cfg.with_crf=True``.

    With test-time augmentation (``--tta``) the CRF must run once, on the
    merged probabilities: :class:`CRFSegTTAModel` suspends it for the single
    views and applies it after the merge.

    Args:
        crf (dict, optional): Config of the post-processor. Defaults to
            ``dict(type='DenseCRFPostProcessor')`` (DeepLab's parameters).
        **kwargs: Arguments of :class:`EncoderDecoder` (``backbone``,
            ``decode_head``, ``test_cfg`` with ``with_crf`` ...).
    """

    def __init__(self,
                 crf: OptConfigType = dict(type='DenseCRFPostProcessor'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.crf = MODELS.build(crf) if crf is not None else None
        self._crf_suspended = False
        if self.test_cfg is not None and self.test_cfg.get('with_crf') and \
                self.crf is None:
            raise ValueError('test_cfg.with_crf=True needs a crf config')

    @property
    def crf_enabled(self) -> bool:
        """bool: Whether ``test_cfg.with_crf`` asks for the CRF."""
        return bool(self.crf is not None and self.test_cfg is not None
                    and self.test_cfg.get('with_crf', False))

    @contextmanager
    def crf_suspended(self) -> Iterator[None]:
        """Predict without the CRF inside this context (TTA single views)."""
        previous, self._crf_suspended = self._crf_suspended, True
        try:
            yield
        finally:
            self._crf_suspended = previous

    def refine(self, probs: Tensor, img_path: str) -> Tensor:
        """Run the CRF on (C, H, W) probabilities (C = 1: sigmoid output).

        Returns:
            Tensor: (1, H, W) long class ids of the refined prediction.
        """
        if probs.shape[0] == 1:
            probs = torch.cat([1 - probs, probs])
        return self.crf.relabel(probs, img_path)[None]

    def postprocess_result(self,
                           seg_logits: Tensor,
                           data_samples: OptSampleList = None) -> SampleList:
        """mmseg's post-processing, then the CRF when enabled."""
        only_prediction = data_samples is None
        data_samples = super().postprocess_result(seg_logits, data_samples)
        if not self.crf_enabled or self._crf_suspended:
            return data_samples
        if only_prediction:
            raise ValueError('the CRF needs each sample\'s img_path: call '
                             'predict with data_samples')
        for sample in data_samples:
            logits = sample.seg_logits.data
            # C = 1: postprocess_result already applied the sigmoid.
            probs = logits if logits.shape[0] == 1 else logits.softmax(dim=0)
            sample.pred_sem_seg = PixelData(
                data=self.refine(probs, sample.img_path))
        return data_samples
