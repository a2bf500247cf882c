# MSRC-VOC (data/msrc_voc) for IRN. Training: the 330 `train`
# images with their relation labels (relation_label_dir, written from the
# CAMs by tools/make_relation_labels.py), cropped, scaled and flipped
# together by mmseg's transforms. Test (= the pseudo-label stage): every
# `train` image with its CAM file (cam_dir); pseudo-labels are written to
# pseudo_label_dir and evaluated against the masks that exist (train_dev).
_base_ = ['../pipeline/msrc_demo_dirs.py', './msrc_voc_meta.py']
data_root = 'data/msrc_voc'
metainfo = {{_base_.metainfo}}  # classes and palette: msrc_voc_meta.py
crop_size = (192, 192)
# IRN's augmentation, scaled to MSRC's 320 x 213 photos: the image times
# 0.5..1.5 (long side 160..480), flip, random crop (padded with 255 labels
# by the data preprocessor when smaller).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(320, 320),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Inference at the image's own size (the CAM's stride-4 grid); the mask is
# loaded where it exists, for the pseudo-label mIoU.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='LoadCAMFromFile', cam_dir={{_base_.cam_dir}}, stride=4),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages'),
        pseudo_label_dir={{_base_.relation_label_dir}},
        metainfo=metainfo,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ImageLevelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
# The writer first (atomic NAME.png files, finished ones skipped), then the
# mIoU of what it wrote against the masks that exist.
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
