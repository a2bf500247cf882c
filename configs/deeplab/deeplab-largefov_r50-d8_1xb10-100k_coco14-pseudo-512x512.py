# The segmentation stage on MS COCO 2014 (RPNet paper: 38.6 val mIoU):
# DeepLab-LargeFOV, ResNet-50 output stride 8, 81 classes, trained on the IRN
# pseudo-labels of train2014 (82,081 images) and validated on val2014. The
# VOC recipe (SGD lr 1e-3, head x10, momentum 0.9, weight decay 5e-4, poly
# 0.9, batch 10, 512 crops) for 100k iterations (about 12 epochs of
# train2014; the paper gives no COCO schedule). Validating 40k images takes
# long: every 20k iterations.
_base_ = [
    '../_base_/models/deeplab_largefov_r50-d8.py',
    '../_base_/datasets/coco14_pseudo.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=81))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=100000,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=100000, val_interval=20000)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=20000,
        max_keep_ckpts=2,
        save_best='mIoU',
        rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
tta_model = dict(type='CRFSegTTAModel')
# mIoU on val2014 and one NAME.png per image (atomic, resumable) in the
# run's pred_dir; the CRF predictions with --cfg-options
# model.test_cfg.with_crf=True test_evaluator.1.output_dir=... (pred_dir_crf).
test_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir}}),
]
custom_hooks = [dict(type='StageProvenanceHook')]
work_dir = {{_base_.seg_work_dir}}
