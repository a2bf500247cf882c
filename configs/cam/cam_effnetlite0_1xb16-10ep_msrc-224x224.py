# CPU demo baseline at RPNet's training budget: RPNet sees two images per
# sample, so 10 epochs of single images give the same number of image passes
# (and iterations) as 5 epochs of RPNet pairs.
_base_ = ['./cam_effnetlite0_1xb16-5ep_msrc-224x224.py']
train_cfg = dict(max_epochs=10)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=10,
        by_epoch=True,
        convert_to_iter_based=True)
]
work_dir = 'work_dirs/cam_effnetlite0_1xb16-10ep_msrc-224x224'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
