# IRN's schedule: SGD, lr 0.1 (displacement branch x10), weight decay 1e-4,
# poly 0.9 per iteration, 3 epochs. IRN's release builds
# SGD(params, lr, weight_decay): the positional 1e-4 lands in `momentum`
# (so it trains without momentum) while each parameter group carries
# weight_decay=1e-4; both are kept here.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={'displacement_head.': dict(lr_mult=10.0)}))
# No `end`: the Runner sets it to train_cfg.max_epochs.
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
randomness = dict(seed=0)
