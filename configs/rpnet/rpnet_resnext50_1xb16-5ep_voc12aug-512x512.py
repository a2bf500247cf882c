# RPNet, ResNeXt-50, PASCAL VOC 2012 train_aug, the paper's schedule: batch 16
# (8 pairs that share a class), 5 epochs, SGD lr 0.02 (head x10), poly 0.9.
# CAMs are written for every train_aug image (IRN's relation labels need
# them all) by `tools/test.py CONFIG CHECKPOINT`.
_base_ = [
    '../_base_/models/rpnet_resnext50.py',
    '../_base_/datasets/voc12_aug_image_level.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/pipeline/voc12_dirs.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
# The run's folders (configs/_base_/pipeline/voc12_dirs.py): the IRN and
# DeepLab VOC configs read the CAMs from the same cam_dir.
work_dir = {{_base_.work_root}}
test_evaluator = dict(type='CAMWriter', output_dir={{_base_.cam_dir}})
