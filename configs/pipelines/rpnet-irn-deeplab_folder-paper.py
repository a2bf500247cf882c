# The folder pipeline (rpnet-irn-deeplab_folder.py) with the paper's
# networks: RPNet on ResNeXt-50, IRN on ResNet-50, DeepLab-LargeFOV on
# ResNet-50 (OS 8), ImageNet weights as the VOC configs load them:
#   python tools/run_pipeline.py \
#       configs/pipelines/rpnet-irn-deeplab_folder-paper.py \
#       --data-root DIR [--work-dir W] [--gpus N]
_base_ = ['./rpnet-irn-deeplab_folder.py']
work_dir = 'work_dirs/folder_paper'
cam_config = 'configs/rpnet/rpnet_resnext50_1xb16-5ep_folder-512x512.py'
irn_config = 'configs/irn/irn_resnet50_1xb32-3ep_folder-512x512.py'
seg_config = ('configs/deeplab/'
              'deeplab-largefov_r50-d8_1xb10-20k_folder-pseudo-512x512.py')
stages = dict(
    cam_train=dict(config=cam_config),
    cams=dict(config=cam_config),
    relation_labels=dict(config=irn_config),
    irn_train=dict(config=irn_config),
    pseudo_labels=dict(config=irn_config),
    pseudo_label_overlays=dict(config=irn_config),
    # the paper's DeepLab starts from ImageNet, not from the CAM network
    seg_train=dict(
        config=seg_config,
        cfg_options={
            'model.backbone.init_cfg.checkpoint': 'torchvision://resnet50'
        }),
    seg_preds=dict(config=seg_config),
    seg_preds_crf=dict(config=seg_config),
    pred_overlays=dict(config=seg_config),
    seg_preds_unlabelled=dict(config=seg_config),
    unlabelled_overlays=dict(config=seg_config))
