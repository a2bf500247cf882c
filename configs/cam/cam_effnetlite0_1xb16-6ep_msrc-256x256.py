# CPU demo baseline at the default RPNet config's budget and setting: plain
# CAM (IRN's CAM network) on EfficientNet-lite0 at output stride 32, 256
# crops, 16 single images per batch, 6 epochs (RPNet's 3 epochs of pairs are
# the same image passes and iterations), with the same gradient clipping.
_base_ = ['../rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py']
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
train_cfg = dict(max_epochs=6)
work_dir = 'work_dirs/cam_effnetlite0_1xb16-6ep_msrc-256x256'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
