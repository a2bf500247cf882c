# PASCAL VOC 2012 + SBD: DeepLab trains on the IRN pseudo-labels of the
# 10,582 train_aug images (no mask of them is read) and is validated on the
# masks of val (1,449), mmseg's PascalVOCDataset and IoUMetric. Pipelines
# and TTA are mmseg's pascal_voc12 ones.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='PseudoLabelSegDataset',
        data_root={{_base_.data_root}},
        data_prefix=dict(img_path='JPEGImages'),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        # NAME.png per train_aug image, values 0..20 and 255: the IRN
        # stage's output folder (absolute or relative to the working
        # directory), set by the config from configs/_base_/pipeline/.
        pseudo_label_dir=None,
        skip_missing=False,
        pipeline={{_base_.train_pipeline}}))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
