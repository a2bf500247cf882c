# MS COCO 2014 (WSSS layout, see coco14_meta.py) for the segmentation stage:
# DeepLab trains on the IRN pseudo-labels of train2014 (no mask of them is
# read) and is validated on the masks of val2014 (40,137 images) with mmseg's
# IoUMetric. Pipelines and TTA are mmseg's (pascal_voc12 / coco-stuff).
# The pseudo-labels (NAME.png per train2014 image, values 0..80 and 255)
# are the IRN stage's output folder, pseudo_label_dir of
# configs/_base_/pipeline/coco14_dirs.py.
_base_ = ['./coco14_meta.py', '../pipeline/coco14_dirs.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]
        ])
]
train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root={{_base_.data_root}},
        metainfo={{_base_.metainfo}},
        ann_file={{_base_.train_split.ann_file}},
        data_prefix=dict(img_path={{_base_.train_split.data_prefix.img_path}}),
        pseudo_label_dir={{_base_.pseudo_label_dir}},
        skip_missing=False,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root={{_base_.data_root}},
        metainfo={{_base_.metainfo}},
        ann_file={{_base_.val_split.ann_file}},
        data_prefix={{_base_.val_split.data_prefix}},
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
