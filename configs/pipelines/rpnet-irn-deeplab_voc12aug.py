# RPNet -> IRN -> DeepLab-LargeFOV on PASCAL VOC 2012 + SBD, the paper's
# settings, as one command (data: docs/en/data.md):
#   python tools/run_pipeline.py configs/pipelines/rpnet-irn-deeplab_voc12aug.py
#   python tools/run_pipeline.py configs/pipelines/rpnet-irn-deeplab_voc12aug.py --gpus 8
# Every folder is a StagePaths folder of work_dir (rpnet_mmseg/pipeline/
# stage_paths.py); a stage reruns only when its config, its command or the
# content of what it reads changed (rpnet_mmseg/pipeline/runner.py).
work_dir = 'work_dirs/rpnet-irn-deeplab_voc12aug'
data_root = 'data/VOCdevkit/VOC2012'
cam_config = 'configs/rpnet/rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py'
irn_config = 'configs/irn/irn_resnet50_1xb32-3ep_voc12aug-512x512.py'
seg_config = ('configs/deeplab/'
              'deeplab-largefov_r50-d8_1xb10-20k_voc12aug-pseudo-512x512.py')
# CAMs are scored on the masks of VOC train (1,464 images), IRN's protocol.
eval_args = ['--cam-dir', '{cam_dir}', '--data-root', '{data_root}',
             '--split', 'ImageSets/Segmentation/train.txt',
             '--classes', 'voc']
stages = dict(
    # 1. RPNet on the image-level labels of train_aug
    cam_train=dict(kind='train', config=cam_config, work_dir='cam_work_dir'),
    # 2. CAMs of every train_aug image (resumes image by image)
    cams=dict(kind='test', config=cam_config, checkpoint='cam_train',
              output='cam_dir', skip_done=True),
    # 3. CAM mIoU over the background-threshold sweep, then with IRN's CRF
    #    at the best threshold
    cam_eval=dict(kind='script', script='tools/eval_cams.py',
                  args=eval_args + ['--out-json', '{output}'],
                  output='{root}/cam_eval.json', report={'CAM': 'mIoU'}),
    cam_crf_eval=dict(
        kind='script', script='tools/eval_cams.py',
        args=eval_args + ['--crf', '--thresholds',
                          '{cam_eval[best_threshold]}', '--out-json',
                          '{output}'],
        output='{root}/cam_crf_eval.json', report={'CAM + CRF': 'mIoU'}),
    # 4. IRN: relation labels, training, random-walk pseudo-labels
    relation_labels=dict(kind='script', script='tools/make_relation_labels.py',
                         config=irn_config, output='relation_label_dir'),
    irn_train=dict(kind='train', config=irn_config, work_dir='irn_work_dir'),
    pseudo_labels=dict(kind='test', config=irn_config, checkpoint='irn_train',
                       output='pseudo_label_dir',
                       report={'pseudo-labels': 'mIoU'}),
    # 5. DeepLab-LargeFOV on the pseudo-labels; val predictions without and
    #    with dense CRF
    seg_train=dict(kind='train', config=seg_config, work_dir='seg_work_dir'),
    seg_preds=dict(kind='test', config=seg_config, checkpoint='seg_train',
                   output='pred_dir', report={'DeepLab': 'mIoU'}),
    seg_preds_crf=dict(kind='test', config=seg_config, checkpoint='seg_train',
                       output='pred_dir_crf',
                       cfg_options={'model.test_cfg.with_crf': True},
                       report={'DeepLab + CRF': 'mIoU'}),
)
