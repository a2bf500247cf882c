# CPU demo, IRN stage: relation labels from the CAMs
# (tools/make_relation_labels.py reads relation_label_cfg), then IRN on a
# frozen EfficientNet-lite0 over MSRC-VOC train (330 images), 192 crops,
# image scaled 0.5..1.5, flip, 16 images per iteration, IRN's optimiser
# (lr 0.1, displacement x10, poly 0.9), pairs within radius 10; then
# pseudo-labels (tools/test.py) as IRN: radius 5, beta 10, 2^8 walk steps,
# background 0.25.
_base_ = [
    '../_base_/models/irn_effnetlite0.py', '../_base_/datasets/msrc_voc_irn.py',
    '../_base_/refine/relation_labels.py', '../_base_/schedules/irn_3ep.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
train_cfg = dict(max_epochs=6)
default_hooks = dict(logger=dict(interval=5))
work_dir = {{_base_.irn_work_dir}}
