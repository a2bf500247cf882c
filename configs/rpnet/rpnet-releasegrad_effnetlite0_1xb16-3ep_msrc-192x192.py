# The authors' release losses with the gradient reaching the prototype branch:
# classification on f_N; L_self between the per-class max-normalised CAMs of
# f_N and f_N' = G(FM) f_N with NO detach, so L_self trains the projections
# (eq. 3) and prototypes (eq. 5) through G(FM) (eqs. 7-10). With L_self on
# max-normalised CAMs, FM's max normalisation and x1.3 cancel (a positive
# per-image scalar through a bias-free classifier), so they are off.
_base_ = ['./rpnet_effnetlite0_1xb16-3ep_msrc-192x192.py']
model = dict(
    head=dict(
        reweight=dict(max_normalize=False, scale=1.0),
        cls_loss_on='original',
        self_loss_on='cam',
        loss_self=dict(detach_target=False)))
work_dir = 'work_dirs/rpnet-releasegrad_effnetlite0_1xb16-3ep_msrc-192x192'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
