# MS COCO 2014 in the WSSS layout, written by
# tools/dataset_converters/coco_wsss.py from COCO's instance annotations:
#   data/coco2014/{train2014,val2014}/NAME.jpg        (COCO's archives)
#   data/coco2014/SegmentationClass/{split}/NAME.png  (0 bg, 1..80, 255)
#   data/coco2014/ImageSets/Segmentation/{split}.txt  (82,081 / 40,137 names)
#   data/coco2014/cls_labels.npz                      (NAME -> [80] multi-hot)
# CAM stage: image-level labels of train2014; CAMs are written for every
# train2014 image (IRN's input) and evaluated on their masks.
_base_ = ['./coco14_meta.py']
dataset_type = 'ImageLevelSegDataset'
crop_size = (512, 512)
# IRN's augmentation (as for VOC): long side 320..640, flip, random 512 crop.
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
        data_root={{_base_.data_root}},
        metainfo={{_base_.metainfo}},
        paired=True,
        ann_file={{_base_.train_split.ann_file}},
        data_prefix={{_base_.train_split.data_prefix}},
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root={{_base_.data_root}},
        metainfo={{_base_.metainfo}},
        test_mode=True,
        ann_file={{_base_.train_split.ann_file}},
        data_prefix={{_base_.train_split.data_prefix}},
        pipeline=test_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
