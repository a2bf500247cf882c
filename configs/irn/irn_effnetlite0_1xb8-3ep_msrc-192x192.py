# CPU demo, IRN stage: relation labels from the CAMs
# (tools/make_relation_labels.py reads relation_label_cfg), then IRN on a
# frozen EfficientNet-lite0 over MSRC-VOC train (330 images): 192 crops,
# image scaled 0.5..1.5, flip, lr 0.1 (displacement x10), poly 0.9, 3
# epochs, pairs within radius 10; then pseudo-labels (tools/test.py) as
# IRN: radius 5, beta 10, but 2^5 walk steps, the background walked with
# the CAMs ((1 - max CAM)^a, AffinityNet's) instead of IRN's constant 0.25,
# and a dense CRF on the result (IRN's relation-label CRF). a = 3.376 makes
# (1 - t)^a = t at t = 0.30. Walk settings chosen on half 0 of train_dev
# over three seeds' CAMs (docs/en/irn.md): 2^5 steps and this fixed a
# scored 70.19 on average, against 69.31 with 2^4 steps and a from each
# run's own CAM threshold. IRN's constant background let the walked class
# fill its surroundings (45.6 mIoU, below the CAMs' 55.0).
# For the CPU budget (~4 min): IRN's VOC schedule makes ~990 updates of 32
# images, 3 epochs here only 42 x 3 = 126 updates of 8, so SGD runs with
# momentum 0.9 (IRN's release: none) and batches of 8: measured on MSRC,
# together they raise the pseudo-label mIoU (docs/en/irn.md). The
# displacement branch, which does not feed the semantic pseudo-labels, is
# slimmed to 1/4 of IRN's width (it was 40% of a training step).
_base_ = [
    '../_base_/models/irn_effnetlite0.py',
    '../_base_/datasets/msrc_voc_irn.py',
    '../_base_/refine/relation_labels.py', '../_base_/schedules/irn_3ep.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['rpnet_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False)
log_processor = dict(by_epoch=True)
default_hooks = dict(logger=dict(interval=10))
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(momentum=0.9))
model = dict(
    displacement_head=dict(channels=[32, 64, 64, 64], fuse_channels=64),
    test_cfg=dict(
        exp_times=5,
        bg_mode='walked',
        bg_power=3.376,
        # the relation labels' CRF (IRN's parameters)
        crf={{_base_.relation_label_cfg.crf}}))
work_dir = {{_base_.irn_work_dir}}
# Relation labels: background where the CRF-refined CAMs are below 0.25
# (IRN's VOC value: 0.05). On MSRC's large objects and backgrounds 0.05
# leaves most background pixels unsure, so IRN learns few background pairs;
# swept on half 0 of train_dev (seed-0 CAMs, docs/en/irn.md): 0.05 / 0.10 /
# 0.15 / 0.20 / 0.25 / 0.30 -> 69.61 / 70.50 / 71.42 / 71.34 / 71.53 /
# 71.61; 0.25 keeps a band below the foreground threshold t0 (0.30-0.35).
relation_label_cfg = dict(bg_thresh=0.25)
