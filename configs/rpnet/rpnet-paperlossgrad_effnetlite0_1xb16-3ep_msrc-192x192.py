# The paper's literal losses (eqs. 10-13) with the gradient of L_self reaching
# f_N' too (the text: L_self keeps f_N' from drifting from f_N):
# classification on f_N' = G(FM) f_N, L_self = mean (f_N' - f_N)^2, lambda 10,
# raw FM, no detach.
_base_ = ['./rpnet-paperloss_effnetlite0_1xb16-3ep_msrc-192x192.py']
model = dict(head=dict(loss_self=dict(detach_target=False)))
work_dir = 'work_dirs/rpnet-paperlossgrad_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
