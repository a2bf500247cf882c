# The same model and checkpoint, tested with dense-CRF post-processing
# (DeepLab's parameters, model.crf): predictions go to pred_dir_crf.
#   python tools/test.py THIS_CONFIG work_dirs/demo/rpnet/seed_0/deeplab/best_*.pth
_base_ = ['./deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py']
model = dict(test_cfg=dict(with_crf=True))
test_evaluator = [
    dict(type='LabelledIoUMetric', iou_metrics=['mIoU']),
    dict(type='LabelPNGWriter', output_dir={{_base_.pred_dir_crf}}),
]
