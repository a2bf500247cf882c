# CPU demo baseline at RPNet's training budget: RPNet sees two images per
# sample, so 6 epochs of single images give the same image passes (and
# iterations) as 3 epochs of RPNet pairs.
_base_ = ['./cam_effnetlite0_1xb16-3ep_msrc-192x192.py']
train_cfg = dict(max_epochs=6)
work_dir = 'work_dirs/cam_effnetlite0_1xb16-6ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
