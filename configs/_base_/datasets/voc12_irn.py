# PASCAL VOC 2012 + SBD for IRN (WSSS layout, see voc12_aug_image_level.py).
# IRN trains on train_aug's relation labels (512 crops, image scaled by
# 0.5..1.5, flip) and writes pseudo-labels for every train_aug image (the
# segmentation stage's training set); their mIoU is measured on the images
# whose mask exists (the 1,464 of `train`).
_base_ = ['../pipeline/voc12_dirs.py', './voc12_meta.py']
data_root = 'data/VOCdevkit/VOC2012'
metainfo = {{_base_.metainfo}}  # classes and palette: voc12_meta.py
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(500, 500),
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
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path='JPEGImages'),
        pseudo_label_dir={{_base_.relation_label_dir}},
        metainfo=metainfo,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ImageLevelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = [
    dict(type='LabelPNGWriter', output_dir={{_base_.pseudo_label_dir}}),
    dict(type='LabelledIoUMetric', allow_no_mask=True),
]
# Records which config and checkpoint wrote the pseudo-label folder, so that
# a re-run resumes it and another checkpoint's run does not mix into it.
custom_hooks = [dict(type='StageProvenanceHook')]
val_dataloader = None
val_cfg = None
val_evaluator = None
