# RPNet with wideresnet50 (Table III), otherwise as the ResNeXt-50 config.
_base_ = ['./rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNet',  # wide_resnet50_2: 2x bottleneck width
        depth=50,
        stem_channels=64,
        base_channels=128,
        expansion=2,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        frozen_stages=2,
        norm_eval=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/wrn/wide-resnet50_3rdparty_8xb32_in1k_20220304-66678344.pth')))
work_dir = 'work_dirs/rpnet_wideresnet50_1xb16-5ep_voc12aug-512x512'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
