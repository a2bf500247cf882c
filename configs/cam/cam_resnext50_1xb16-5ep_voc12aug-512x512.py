# Plain-CAM baseline (IRN's CAM network: GAP + 1x1 classifier, multi-label
# soft margin) on the same backbone, data and schedule as RPNet: the
# reference of the paper's Tables I, II and VII. Single images, batch 16.
_base_ = ['../rpnet/rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CAMHead',
        in_channels=[256, 512, 1024, 2048],
        num_classes=20,
        loss_cls=dict(type='MultiLabelSoftMarginLoss')))
train_dataloader = dict(
    batch_size=16,
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(paired=False))
work_dir = 'work_dirs/cam_resnext50_1xb16-5ep_voc12aug-512x512'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
