# Relation labels from the CAMs (tools/make_relation_labels.py), then IRN
# on PASCAL VOC 2012 train_aug with IRN's schedule: frozen ResNet-50,
# 512 crops, image scaled 0.5..1.5, flip, 32 images per iteration, 3 epochs,
# SGD lr 0.1 (displacement branch 1.0), weight decay 1e-4, poly 0.9; pairs
# within radius 10. Pseudo-labels (tools/test.py): radius 5, beta 10,
# 2^8 walk steps, background 0.25.
_base_ = [
    '../_base_/models/irn_resnet50.py', '../_base_/datasets/voc12_irn.py',
    '../_base_/refine/relation_labels.py', '../_base_/schedules/irn_3ep.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
log_processor = dict(by_epoch=True)
work_dir = {{_base_.irn_work_dir}}
# Relation labels of every train_aug image (IRN's recipe and CRF).
relation_label_cfg = dict(
    data_root='data/VOCdevkit/VOC2012',
    ann_file='ImageSets/Segmentation/train_aug.txt',
    nproc=8)
