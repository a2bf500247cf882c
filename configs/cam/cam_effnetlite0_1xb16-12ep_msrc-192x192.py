# CPU demo baseline at twice RPNet's training budget (12 epochs of single
# images = 2x RPNet's image passes): checks that the baseline has plateaued.
_base_ = ['./cam_effnetlite0_1xb16-3ep_msrc-192x192.py']
train_cfg = dict(max_epochs=12)
work_dir = 'work_dirs/cam_effnetlite0_1xb16-12ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
