# The paper's segmentation stage (RPNet Table VIII, ResNet-50: 66.4 val mIoU
# with CRF): DeepLab-LargeFOV, ResNet-50 output stride 8, trained on the IRN
# pseudo-labels of VOC 2012 train_aug; SGD lr 1e-3 (head x10), momentum 0.9,
# weight decay 5e-4, poly 0.9, 20k iterations, batch 10, 512x512 crops.
_base_ = [
    '../_base_/models/deeplab_largefov_r50-d8.py',
    '../_base_/datasets/voc12aug_pseudo.py',
    '../_base_/pipeline/voc12_dirs.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
crop_size = (512, 512)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(
    dataset=dict(pseudo_label_dir={{_base_.pseudo_label_dir}}))
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
        end=20000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=2,
        save_best='mIoU',
        rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
# --tta: multi-scale + flip; the CRF (if on) runs once, after the merge.
tta_model = dict(type='CRFSegTTAModel')
# mIoU on val and one NAME.png per val image (atomic, resumable); with
# --cfg-options model.test_cfg.with_crf=True test_evaluator.1.output_dir=...
# for the CRF predictions (pred_dir_crf).
test_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir}}),
]
custom_hooks = [dict(type='StageProvenanceHook')]
work_dir = {{_base_.seg_work_dir}}
