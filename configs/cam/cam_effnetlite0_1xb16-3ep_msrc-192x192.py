# CPU demo baseline: plain CAM (IRN's CAM network) on EfficientNet-lite0,
# MSRC-VOC train, 16 single images per batch, 3 epochs: RPNet's epochs, half
# its image passes (see the 6-epoch config for the same budget).
_base_ = ['../rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CAMHead',
        in_channels=[24, 40, 112, 1280],
        num_classes=14,
        loss_cls=dict(type='MultiLabelSoftMarginLoss')))
train_dataloader = dict(
    batch_size=16,
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(paired=False))
work_dir = 'work_dirs/cam_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
