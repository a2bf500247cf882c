# RPNet, ResNeXt-50, MS COCO 2014 train (82,081 images with labels, WSSS
# layout from tools/dataset_converters/coco_wsss.py), 80 classes; the VOC
# schedule of the paper: batch 16 (8 pairs that share a class), 5 epochs,
# SGD lr 0.02 (head x10), poly 0.9. Paper (COCO): CAM mIoU 27.4 (baseline)
# -> 36.1 (RPNet). CAMs are written for train2014 by
# `tools/test.py CONFIG CHECKPOINT` (about 82k files: see docs/en/data.md
# on disk space).
_base_ = [
    '../_base_/models/rpnet_resnext50.py',
    '../_base_/datasets/coco14_image_level.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/pipeline/coco14_dirs.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
model = dict(head=dict(num_classes=80))
default_hooks = dict(logger=dict(interval=50))
# The run's folders (configs/_base_/pipeline/coco14_dirs.py), read by the
# IRN and DeepLab COCO configs.
work_dir = {{_base_.work_root}}
test_evaluator = dict(type='CAMWriter', output_dir={{_base_.cam_dir}})
