# The paper's DeepLab-LargeFOV (ResNet-50, OS 8,
# deeplab-largefov_r50-d8_1xb10-20k_voc12aug-pseudo-512x512) on a folder of
# tagged photos (docs/en/data.md, "Your own data"), for
# configs/pipelines/rpnet-irn-deeplab_folder-paper.py: trained on the
# pseudo-labels of the train split, predictions of the val split (scored
# where the folder has masks), no val loop. Set the class count of your
# data: --cfg-options model.decode_head.num_classes=C+1.
_base_ = ['./deeplab-largefov_r50-d8_1xb10-20k_voc12aug-pseudo-512x512.py']
data_root = 'data/my_photos'
model = dict(decode_head=dict(num_classes=4))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadOptionalAnnotations'),
    dict(type='PackSegInputs')
]
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
        pipeline=test_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
train_cfg = dict(val_interval=100000)
default_hooks = dict(
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=2))
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU'], allow_no_mask=True),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir}}),
]
