# The demo DeepLab-LargeFOV trained on the pseudo-labels of the 165
# `train_dev` images only: the weakly supervised twin of the fully
# supervised reference on the same images
# (deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-traindev-gt-256x256.py).
_base_ = ['./deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py']
train_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/train_dev.txt'))
work_dir = 'work_dirs/demo/rpnet/seed_0/deeplab_traindev_pseudo'
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir=work_dir + '/preds'),
]
