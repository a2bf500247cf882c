# Stage folders of the MSRC-VOC demo's RPNet run: the one place the configs
# name them (rpnet_mmseg.pipeline.StagePaths derives the same names from the
# run root). Each stage reads the folder the previous one wrote:
#   CAMs -> relation labels -> IRN -> pseudo-labels -> segmentation.
# A pipeline tool points a config at another run with --cfg-options on the
# keys that use them (listed in docs/en/irn.md).
work_root = 'work_dirs/demo/rpnet/seed_0'
# The CAM network's last checkpoint (the RPNet demo config trains 3 epochs).
cam_checkpoint = work_root + '/epoch_3.pth'
cam_dir = work_root + '/cams'
relation_label_dir = work_root + '/relation_labels'
irn_work_dir = work_root + '/irn'
pseudo_label_dir = work_root + '/pseudo_labels'
pseudo_label_overlay_dir = work_root + '/pseudo_label_overlays'
seg_work_dir = work_root + '/deeplab'
pred_dir = seg_work_dir + '/preds'
pred_dir_crf = seg_work_dir + '/preds_crf'
