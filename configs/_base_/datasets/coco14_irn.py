# MS COCO 2014 (WSSS layout, see coco14_image_level.py) for IRN, as
# voc12_irn.py does for VOC: IRN trains on train2014's relation labels (512
# crops, image scaled by 0.5..1.5, flip) and writes pseudo-labels for every
# train2014 image (the segmentation stage's training set), scored against
# their masks.
_base_ = ['../pipeline/coco14_dirs.py', './coco14_image_level.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='LoadCAMFromFile', cam_dir={{_base_.cam_dir}}, stride=4),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root={{_base_.data_root}},
        ann_file={{_base_.train_split.ann_file}},
        data_prefix=dict(img_path={{_base_.train_split.data_prefix.img_path}}),
        pseudo_label_dir={{_base_.relation_label_dir}},
        metainfo={{_base_.metainfo}},
        pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = [
    dict(type='LabelPNGWriter', output_dir={{_base_.pseudo_label_dir}}),
    dict(type='LabelledIoUMetric', allow_no_mask=True),
]
custom_hooks = [dict(type='StageProvenanceHook')]
