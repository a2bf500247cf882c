# The paper's main CAM-stage setting under a short name:
#   python tools/train.py configs/rpnet_resnext50_voc.py
# Its folders are those of configs/_base_/pipeline/voc12_dirs.py, which the
# IRN and DeepLab VOC configs read (or run the whole pipeline with
# configs/pipelines/rpnet-irn-deeplab_voc12aug.py).
_base_ = ['./rpnet/rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py']
