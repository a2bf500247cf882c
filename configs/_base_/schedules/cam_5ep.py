# CAM-stage schedule of the paper: SGD, lr 0.02 (new layers x10), poly 0.9
# per iteration, 5 epochs. IRN-family code passes weight decay where SGD
# expects momentum, so its SGD runs with momentum ~1e-4: set it here.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head.': dict(lr_mult=10.0)}))
# No `end`: the Runner sets it to train_cfg.max_epochs, so a config that
# changes the number of epochs keeps a full poly decay.
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
randomness = dict(seed=0)
