# CPU demo: RPNet on EfficientNet-lite0, MSRC-VOC train (330 images,
# image-level labels only), 8 pairs per batch, 5 epochs.
_base_ = [
    '../_base_/models/rpnet_effnetlite0.py',
    '../_base_/datasets/msrc_voc_image_level.py',
    '../_base_/schedules/cam_5ep.py', 'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=5))
work_dir = 'work_dirs/rpnet_effnetlite0_1xb16-5ep_msrc-224x224'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
