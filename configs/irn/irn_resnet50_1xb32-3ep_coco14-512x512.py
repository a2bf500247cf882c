# IRN on MS COCO 2014 train (82,081 images) with IRN's VOC schedule: frozen
# ResNet-50, 512 crops, image scaled 0.5..1.5, flip, 32 images per
# iteration, 3 epochs, SGD lr 0.1 (displacement branch x10), poly 0.9; pairs
# within radius 10. Pseudo-labels (tools/test.py): radius 5, beta 10, 2^8
# walk steps, background 0.25. Paper (COCO): RPNet + IRN 44.9 mIoU.
_base_ = [
    '../_base_/models/irn_resnet50.py', '../_base_/datasets/coco14_irn.py',
    '../_base_/refine/relation_labels.py', '../_base_/schedules/irn_3ep.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
log_processor = dict(by_epoch=True)
default_hooks = dict(logger=dict(interval=50))
work_dir = {{_base_.irn_work_dir}}
# Relation labels of every train2014 image (IRN's recipe and CRF); the
# images stay in COCO's train2014/ folder.
relation_label_cfg = dict(
    data_root={{_base_.data_root}},
    ann_file={{_base_.train_split.ann_file}},
    img_dir={{_base_.train_split.data_prefix.img_path}},
    nproc=8)
