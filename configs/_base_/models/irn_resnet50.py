# IRN (docs/en/method.md section 3.2) on a frozen ImageNet ResNet-50,
# output stride 16 (last stage at stride 1, no dilation, as IRN's release). The
# boundary branch reads the four stages (IRN's release also reads the stem);
# the displacement branch fuses stages 2-4 at stride 8 and joins stage 1 at
# stride 4.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    type='IRNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth')),
    freeze_backbone=True,
    edge_head=dict(
        type='IRNEdgeHead',
        in_channels=[256, 512, 1024, 2048],
        channels=32,
        num_groups=4,
        loss_affinity=dict(
            type='AffinityLoss',
            bg_pos_weight=0.25,
            fg_pos_weight=0.25,
            neg_weight=0.5)),
    displacement_head=dict(
        type='IRNDisplacementHead',
        in_channels=[256, 512, 1024, 2048],
        channels=[128, 256, 256, 256],
        fine_levels=(0, ),
        fuse_channels=256,
        loss_displacement=dict(
            type='DisplacementLoss', fg_weight=0.5, bg_weight=0.5)),
    # Pairs within radius 10 on the stride-4 grid for training (152
    # directions), radius 5 for the random walk (34 directions).
    train_cfg=dict(path_index=dict(radius=10), ignore_index=255),
    test_cfg=dict(
        path_index=dict(radius=5),
        beta=10,
        exp_times=8,
        bg_threshold=0.25,
        flip=True,
        stride=4))
