# CPU demo default: RPNet on EfficientNet-lite0 at output stride 32 (no
# dilation), 256-pixel crops of images resized to 288..384, 8 pairs (16
# images) per batch, 3 epochs. Against the output-stride-16 / 192-pixel
# config it inherits, both RPNet and the plain-CAM baseline score higher
# (README, "Output stride and crop"), and training is about twice as fast.
#
# Gradients are clipped to norm 5 (healthy steps: 2.5-5). Without it, 1 seed
# in 10 here (3 in 10 on another machine) collapses into all-background
# CAMs: one step with a gradient spike pushes most of the last block's ReLU6
# channels below zero for every image, dead channels get no gradient, and
# the scores stay at the absent-class prior (docs/en/cam_training.md).
_base_ = ['./rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py']
crop_size = (256, 256)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(output_stride=32))
optim_wrapper = dict(clip_grad=dict(max_norm=5.0, norm_type=2))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(384, 384),
        ratio_range=(0.75, 1.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
work_dir = 'work_dirs/rpnet_effnetlite0_1xb16-3ep_msrc-256x256'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
