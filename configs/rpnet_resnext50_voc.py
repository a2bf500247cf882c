# The paper's main CAM-stage setting under a short name:
#   python tools/train.py configs/rpnet_resnext50_voc.py
_base_ = ['./rpnet/rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py']
work_dir = 'work_dirs/rpnet_resnext50_voc'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
