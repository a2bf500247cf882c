# The folder's DeepLab-LargeFOV predictions refined by the dense CRF (see
# deeplab-largefov_effnetlite0-d16_1xb8-300it_folder-pseudo-256x256.py).
_base_ = [
    './deeplab-largefov_effnetlite0-d16_1xb8-300it_folder-pseudo-256x256.py'
]
model = dict(test_cfg=dict(with_crf=True))
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU'], allow_no_mask=True),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir_crf}}),
]
