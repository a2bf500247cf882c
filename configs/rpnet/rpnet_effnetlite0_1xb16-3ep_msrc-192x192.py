# CPU demo: RPNet on EfficientNet-lite0, MSRC-VOC train (330 images,
# image-level labels only), 8 pairs (16 images) per batch, 3 epochs of the
# paper's poly schedule. CAM inference at scales (1.0, 0.5, 1.5) x flip
# (IRN's 2.0 scale doubles the CPU time of this step for little gain here).
_base_ = [
    '../_base_/models/rpnet_effnetlite0.py',
    '../_base_/datasets/msrc_voc_image_level.py',
    '../_base_/schedules/cam_5ep.py', 'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
model = dict(test_cfg=dict(scales=(1.0, 0.5, 1.5), flip=True))
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_epochs=3)
default_hooks = dict(logger=dict(interval=10))
work_dir = 'work_dirs/rpnet_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
