# CPU demo, segmentation stage: DeepLab-LargeFOV on EfficientNet-lite0
# (output stride 16), trained on the IRN pseudo-labels of MSRC-VOC `train`
# (330 images, no mask), validated on the masks of `val_dev` (IoUMetric,
# best-mIoU checkpoint); the test loop predicts every `val` image (one
# NAME.png in pred_dir, overlays with --show-dir) and reports the mIoU of
# the `val_dev` ones. The paper's optimiser (SGD lr 1e-3, head x10, momentum
# 0.9, weight decay 5e-4, poly 0.9) with a CPU-sized schedule.
# CPU-sized choice: the backbone starts from the CAM network of the same run
# (`cam_checkpoint`, trained on the image-level labels only) and stays
# frozen; only the LargeFOV head trains. Fine-tuned from ImageNet at the
# paper's rates, the network was far from converged after 300 iterations
# (README, "Segmentation stage").
_base_ = [
    '../_base_/models/deeplab_largefov_effnetlite0.py',
    '../_base_/datasets/msrc_voc_pseudo.py',
    '../_base_/pipeline/msrc_demo_dirs.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
max_iters = 300
val_interval = 100
train_dataloader = dict(
    batch_size=8, dataset=dict(pseudo_label_dir={{_base_.pseudo_label_dir}}))
model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint={{_base_.cam_checkpoint}},
            prefix='backbone.')))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=val_interval,
        max_keep_ckpts=1,
        save_best='mIoU',
        rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir}}),
]
# Provenance of the prediction folder (config + weights), resumable writes.
custom_hooks = [dict(type='StageProvenanceHook')]
# --tta: scales 0.75 / 1.0 / 1.25 x flip; the CRF (if on) runs once, after
# the merge, on the original image.
tta_model = dict(type='CRFSegTTAModel')
work_dir = {{_base_.seg_work_dir}}
