# RPNet on ResNeXt-50 (32x4d) with the last stage at stride 1 (output
# stride 16), ImageNet weights, stages 1-2 and BatchNorm frozen.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.ResNeXt',
        depth=50,
        groups=32,
        width_per_group=4,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        frozen_stages=2,
        norm_eval=True,
        norm_cfg=norm_cfg,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnext/resnext50_32x4d_b32x8_imagenet_20210429-56066e27.pth')),
    head=dict(
        type='RPNetHead',
        in_channels=[256, 512, 1024, 2048],
        num_classes=20,
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
