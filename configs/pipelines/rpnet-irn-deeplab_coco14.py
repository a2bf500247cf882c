# RPNet -> IRN -> DeepLab-LargeFOV on MS COCO 2014, the paper's settings, as
# one command (data layout: tools/dataset_converters/coco_wsss.py):
#   python tools/run_pipeline.py configs/pipelines/rpnet-irn-deeplab_coco14.py --gpus 8
# See rpnet-irn-deeplab_voc12aug.py for how stages are skipped and rerun.
work_dir = 'work_dirs/rpnet-irn-deeplab_coco14'
data_root = 'data/coco2014'
cam_config = 'configs/rpnet/rpnet_resnext50_1xb16-5ep_coco14-512x512.py'
irn_config = 'configs/irn/irn_resnet50_1xb32-3ep_coco14-512x512.py'
seg_config = ('configs/deeplab/'
              'deeplab-largefov_r50-d8_1xb10-100k_coco14-pseudo-512x512.py')
# CAMs are scored on the train2014 masks the converter writes.
eval_args = ['--cam-dir', '{cam_dir}', '--data-root', '{data_root}',
             '--split', 'ImageSets/Segmentation/train2014.txt',
             '--labels-json', '{data_root}/labels.json', '--img-dir',
             'train2014', '--mask-dir', 'SegmentationClass/train2014']
stages = dict(
    cam_train=dict(kind='train', config=cam_config, work_dir='cam_work_dir'),
    cams=dict(kind='test', config=cam_config, checkpoint='cam_train',
              output='cam_dir', skip_done=True),
    cam_eval=dict(kind='script', script='tools/eval_cams.py',
                  args=eval_args + ['--out-json', '{output}'],
                  output='{root}/cam_eval.json', report={'CAM': 'mIoU'}),
    cam_crf_eval=dict(
        kind='script', script='tools/eval_cams.py',
        args=eval_args + ['--crf', '--thresholds',
                          '{cam_eval[best_threshold]}', '--out-json',
                          '{output}'],
        output='{root}/cam_crf_eval.json', report={'CAM + CRF': 'mIoU'}),
    relation_labels=dict(kind='script', script='tools/make_relation_labels.py',
                         config=irn_config, output='relation_label_dir'),
    irn_train=dict(kind='train', config=irn_config, work_dir='irn_work_dir'),
    pseudo_labels=dict(kind='test', config=irn_config, checkpoint='irn_train',
                       output='pseudo_label_dir',
                       report={'pseudo-labels': 'mIoU'}),
    seg_train=dict(kind='train', config=seg_config, work_dir='seg_work_dir'),
    seg_preds=dict(kind='test', config=seg_config, checkpoint='seg_train',
                   output='pred_dir', report={'DeepLab': 'mIoU'}),
    seg_preds_crf=dict(kind='test', config=seg_config, checkpoint='seg_train',
                       output='pred_dir_crf',
                       cfg_options={'model.test_cfg.with_crf': True},
                       report={'DeepLab + CRF': 'mIoU'}),
)
