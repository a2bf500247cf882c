# The CPU demo on MSRC-VOC as a pipeline (tools/run_demo.py runs it per
# experiment and seed, with its own summary; alone:
#   python tools/run_pipeline.py configs/pipelines/rpnet-irn-deeplab_msrc-demo.py
# ). As the VOC pipeline, plus the demo's cross-validated thresholds: the
# CAMs are scored on train_dev and on its two halves (even / odd lines);
# the background threshold t0 chosen on half 0 sets the relation labels'
# foreground threshold (IRN's walk keeps its config's a = 3.376, chosen on
# half 0 of three seeds, docs/en/irn.md); CAM + CRF is scored on each half
# at the threshold chosen on the other half, and the pseudo-labels on all of
# train_dev and on half 1 alone (images used for no choice).
work_dir = 'work_dirs/demo/rpnet/seed_0'
data_root = 'data/msrc_voc'
cam_config = 'configs/rpnet/rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py'
irn_config = 'configs/irn/irn_effnetlite0_1xb8-3ep_msrc-192x192.py'
seg_config = ('configs/deeplab/'
              'deeplab-largefov_effnetlite0-d16_1xb8-300it_msrc-pseudo-256x256.py')
seg_crf_config = ('configs/deeplab/deeplab-largefov-crf_effnetlite0-d16_'
                  '1xb8-300it_msrc-pseudo-256x256.py')
train_dev = 'ImageSets/Segmentation/train_dev.txt'
eval_args = ['--cam-dir', '{cam_dir}', '--data-root', '{data_root}',
             '--split', train_dev, '--labels-json', '{data_root}/labels.json']
stages = dict(
    cam_train=dict(kind='train', config=cam_config, work_dir='cam_work_dir'),
    cams=dict(kind='test', config=cam_config, checkpoint='cam_train',
              output='cam_dir', skip_done=True),
    cam_eval=dict(kind='script', script='tools/eval_cams.py',
                  args=eval_args + ['--overlay-dir', '{cam_overlay_dir}',
                                    '--num-overlays', '8', '--out-json',
                                    '{output}'],
                  output='{root}/cam_eval_train_dev.json',
                  report={'CAM (best t)': 'mIoU'}),
    cam_eval_half0=dict(kind='script', script='tools/eval_cams.py',
                        args=eval_args + ['--part', '0/2', '--out-json',
                                          '{output}'],
                        output='{root}/cam_eval_half0.json'),
    cam_eval_half1=dict(kind='script', script='tools/eval_cams.py',
                        args=eval_args + ['--part', '1/2', '--out-json',
                                          '{output}'],
                        output='{root}/cam_eval_half1.json'),
    cam_crf_eval_half1=dict(
        kind='script', script='tools/eval_cams.py',
        args=eval_args + ['--part', '1/2', '--crf', '--thresholds',
                          '{cam_eval_half0[best_threshold]}', '--out-json',
                          '{output}'],
        output='{root}/cam_crf_eval_half1.json',
        report={'CAM + CRF (half 1)': 'mIoU'}),
    cam_crf_eval_half0=dict(
        kind='script', script='tools/eval_cams.py',
        args=eval_args + ['--part', '0/2', '--crf', '--thresholds',
                          '{cam_eval_half1[best_threshold]}', '--out-json',
                          '{output}'],
        output='{root}/cam_crf_eval_half0.json',
        report={'CAM + CRF (half 0)': 'mIoU'}),
    relation_labels=dict(
        kind='script', script='tools/make_relation_labels.py',
        config=irn_config, output='relation_label_dir',
        cfg_options={
            'relation_label_cfg.fg_thresh': '{cam_eval_half0[best_threshold]}'
        }),
    irn_train=dict(kind='train', config=irn_config, work_dir='irn_work_dir'),
    pseudo_labels=dict(
        kind='test', config=irn_config, checkpoint='irn_train',
        output='pseudo_label_dir',
        report={'pseudo-labels': 'mIoU'}),
    pseudo_label_eval_half1=dict(
        kind='script', script='tools/eval_labels.py',
        args=['--label-dir', '{pseudo_label_dir}', '--data-root',
              '{data_root}', '--split', train_dev, '--part', '1/2',
              '--labels-json', '{data_root}/labels.json', '--out-json',
              '{output}'],
        output='{root}/pseudo_label_eval_half1.json',
        report={'pseudo-labels (half 1)': 'mIoU'}),
    pseudo_label_overlays=dict(
        kind='script', script='tools/draw_overlays.py', config=irn_config,
        args=['--out-dir', '{output}', '--split', train_dev, '--num', '8'],
        output='pseudo_label_overlay_dir'),
    # DeepLab's backbone starts from this run's CAM network
    seg_train=dict(
        kind='train', config=seg_config, work_dir='seg_work_dir',
        cfg_options={'model.backbone.init_cfg.checkpoint': '{cam_train}'}),
    seg_preds=dict(kind='test', config=seg_config, checkpoint='seg_train',
                   output='pred_dir', report={'DeepLab (val_dev)': 'mIoU'}),
    seg_preds_crf=dict(kind='test', config=seg_crf_config,
                       checkpoint='seg_train', output='pred_dir_crf',
                       report={'DeepLab + CRF (val_dev)': 'mIoU'}),
)
