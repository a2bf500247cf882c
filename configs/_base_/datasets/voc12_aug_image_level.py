# PASCAL VOC 2012 + SBD in the WSSS layout: data/VOCdevkit/VOC2012 with
# JPEGImages/, SegmentationClass/, ImageSets/Segmentation/{train_aug,train,
# val}.txt and cls_labels.npz (20-dim multi-hot per image; write it with
# tools/dataset_converters/make_cls_labels.py --xml Annotations; IRN's
# cls_labels.npy is read when the .npz is absent).
_base_ = ['./voc12_meta.py']
dataset_type = 'ImageLevelSegDataset'
data_root = 'data/VOCdevkit/VOC2012'
metainfo = {{_base_.metainfo}}  # classes and palette: voc12_meta.py
crop_size = (512, 512)
# IRN's augmentation: long side 320..640, flip, random 512 crop.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLevelInputs'),
]
train_dataloader = dict(
    batch_size=8,  # 8 pairs = 16 images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pair_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        metainfo=metainfo,
        paired=True,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # CAMs of every train_aug image: IRN's relation labels and pseudo-labels
    # cover train_aug; the CAM mIoU is scored on the masks of train.
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
