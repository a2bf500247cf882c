# MSRC-VOC (../shared/data/msrc_voc): 494 real photos in VOC layout, 14
# foreground classes, image-level labels in cls_labels.npz (or IRN's
# cls_labels.npy when the .npz is absent). Training uses image-level labels
# only; masks exist for train_dev / val_dev.
dataset_type = 'ImageLevelSegDataset'
data_root = '../shared/data/msrc_voc'
metainfo = dict(
    classes=('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'book',
             'car', 'cat', 'chair', 'cow', 'dog', 'flower', 'person', 'sheep',
             'sign'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
             [0, 0, 128], [128, 0, 128], [0, 128, 128], [128, 128, 128],
             [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0],
             [64, 0, 128], [192, 0, 128], [64, 128, 128]])
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
