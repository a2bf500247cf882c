# MSRC-VOC (data/msrc_voc): 494 real photos in VOC layout, 14
# foreground classes, image-level labels in cls_labels.npz (or IRN's
# cls_labels.npy when the .npz is absent). Training uses image-level labels
# only; masks exist for train_dev / val_dev.
_base_ = ['./msrc_voc_meta.py']
dataset_type = 'ImageLevelSegDataset'
data_root = 'data/msrc_voc'
metainfo = {{_base_.metainfo}}  # classes and palette: msrc_voc_meta.py
crop_size = (192, 192)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(288, 288),
        ratio_range=(0.75, 1.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]
# CAM inference: the image at its own size (scales and flip are applied by the
# model, see CAMClassifier.test_cfg).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLevelInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pair_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=metainfo,
        paired=True,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
