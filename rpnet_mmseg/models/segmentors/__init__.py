"""Segmentors and test-time post-processing registered by rpnet_mmseg."""
from .backbone_segmentor import BackboneSegmentor
from .crf_encoder_decoder import CRFEncoderDecoder
from .crf_seg_tta_model import CRFSegTTAModel
from .dense_crf_postprocessor import DenseCRFPostProcessor

__all__ = [
    'BackboneSegmentor', 'CRFEncoderDecoder', 'CRFSegTTAModel',
    'DenseCRFPostProcessor'
]
