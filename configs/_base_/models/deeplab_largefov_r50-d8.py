# DeepLab-LargeFOV on ResNet-50 at output stride 8 (layer3 / layer4 dilated
# 2 / 4, as mmseg's "-d8" models), the segmentation network of RPNet
# (Table VIII). ImageNet weights: torchvision's ResNet-50, loaded by
# init_cfg when training starts. Dense CRF at test time: set
# model.test_cfg.with_crf=True (parameters in model.crf). With --tta, use
# tta_model = dict(type='CRFSegTTAModel') (set by the configs).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    type='CRFEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    decode_head=dict(
        type='DeepLabLargeFOVHead',
        in_channels=2048,
        in_index=3,
        fc_channels=1024,
        kernel_size=3,
        dilation=12,
        fc_dropout_ratio=0.5,
        channels=1024,
        dropout_ratio=0.5,
        num_classes=21,
        norm_cfg=None,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    # DeepLab's CRF: 10 iterations, Gaussian sxy 1 compat 3, bilateral sxy 67
    # srgb 3 compat 4.
    crf=dict(
        type='DenseCRFPostProcessor',
        num_iters=10,
        gaussian_sxy=1.0,
        gaussian_compat=3.0,
        bilateral_sxy=67.0,
        bilateral_srgb=3.0,
        bilateral_compat=4.0),
    train_cfg=dict(),
    test_cfg=dict(mode='whole', with_crf=False))
