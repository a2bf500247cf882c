# The paper's literal losses (eqs. 10-13): classification on the enhanced
# features f_N' = G(FM) * f_N and L_self = mean (f_N' - f_N)^2 with lambda 10,
# raw FM. On MSRC this collapses (f_N -> 0, loss_cls -> ln 2); see README.
_base_ = ['./rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py']
model = dict(
    head=dict(
        reweight=dict(max_normalize=False, scale=1.0),
        cls_loss_on='enhanced',
        self_loss_on='feature'))
work_dir = 'work_dirs/rpnet-paperloss_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
