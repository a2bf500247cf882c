# The segmentation stage's fully supervised reference (its upper bound):
# the demo DeepLab-LargeFOV (same model, init, schedule and validation)
# trained on the TRUE masks of the 165 `train_dev` images instead of
# pseudo-labels. Compared with the same network trained on the
# pseudo-labels of the same images
# (deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-traindev-pseudo-256x256.py)
# and of all 330 `train` images (the demo's), it gives the "% of fully
# supervised" WSSS papers report (tools/run_demo.py --segmentation-bound).
_base_ = ['./deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py']
train_dataloader = dict(
    dataset=dict(
        ann_file='ImageSets/Segmentation/train_dev.txt',
        pseudo_label_dir=None,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass')))
work_dir = 'work_dirs/demo/rpnet/seed_0/deeplab_traindev_gt'
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir=work_dir + '/preds'),
]
