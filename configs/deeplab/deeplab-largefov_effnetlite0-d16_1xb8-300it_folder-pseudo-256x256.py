# DeepLab-LargeFOV, the demo's CPU config
# (deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256), on a
# folder of tagged photos (docs/en/data.md, "Your own data"): trained on the
# pseudo-labels of the train split, predictions of the val split (scored
# where the folder has masks). No val loop: a folder may have no mask. Set
# the class count of your data, background included (the folder pipeline
# sets it from tools/split_folder.py's report):
#   --cfg-options model.decode_head.num_classes=C+1
# Predictions of the unlabelled/ images: test_dataloader.dataset with
# data_prefix.img_path='unlabelled' and ann_file='' (the folder pipeline's
# seg_preds_unlabelled stage).
_base_ = [
    './deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py'
]
data_root = 'data/my_photos'
model = dict(decode_head=dict(num_classes=4))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderSegDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        pseudo_label_dir={{_base_.pseudo_label_dir}},
        pipeline={{_base_.train_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderSegDataset',
        data_root=data_root,
        ann_file='splits/val.txt',
        seg_map_optional=True,
        allow_empty=True,
        pipeline={{_base_.test_pipeline}}))
val_dataloader = None
val_evaluator = None
val_cfg = None
train_cfg = dict(val_interval=100000)
default_hooks = dict(
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        by_epoch=False,
        interval=100,
        max_keep_ckpts=1))
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU'], allow_no_mask=True),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir}}),
]
