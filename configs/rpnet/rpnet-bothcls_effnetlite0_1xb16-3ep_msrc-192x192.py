# Classification on both f_N and f_N' = G(FM) f_N (the enhanced term trains
# the prototype branch through G(FM), eqs. 7-12); L_self between the per-class
# max-normalised CAMs, the enhanced map a detached target (the release's
# reading of Fig. 2). FM max-normalised x 1.3 as in the release.
_base_ = ['./rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py']
model = dict(
    head=dict(
        reweight=dict(max_normalize=True, scale=1.3),
        cls_loss_on='both',
        self_loss_on='cam',
        loss_self=dict(detach_target=True)))
work_dir = 'work_dirs/rpnet-bothcls_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
