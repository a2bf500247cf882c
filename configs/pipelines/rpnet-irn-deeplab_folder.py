# Your own data: a folder of tagged photos (docs/en/data.md, "Your own
# data") through CAMs -> relation labels -> IRN -> pseudo-labels -> DeepLab
# -> predictions of `val` and of `unlabelled/`, with overlays:
#   python tools/run_pipeline.py \
#       configs/pipelines/rpnet-irn-deeplab_folder.py \
#       --data-root DIR [--work-dir W] [--gpus N]
# The CPU stage configs of the demo by default; the paper's ResNeXt-50 /
# ResNet-50: configs/pipelines/rpnet-irn-deeplab_folder-paper.py.
# tools/split_folder.py writes the splits (the folder's splits/, else a
# seeded 90 / 10 draw) and the classes into the run folder; the class count
# of every model comes from its report. Images with a mask in DIR/masks are
# scored; without any, the CAM background threshold is
# tools/eval_cams.py's --default-threshold and no mIoU is printed.
work_dir = 'work_dirs/folder'
data_root = 'data/my_photos'
cam_config = 'configs/rpnet/rpnet_effnetlite0_1xb16-3ep_folder-256x256.py'
irn_config = 'configs/irn/irn_effnetlite0_1xb8-3ep_folder-192x192.py'
seg_config = ('configs/deeplab/'
              'deeplab-largefov_effnetlite0-d16_1xb8-300it_folder-pseudo-'
              '256x256.py')
img_suffixes = ['.jpg', '.jpeg', '.png', '.bmp', '.JPG', '.JPEG', '.PNG']
# Every stage that reads a split names it through data_split's report, so
# that a new split reruns it.
train_split = {'train_dataloader.dataset.ann_file': '{data_split[train]}'}
cam_split = {'test_dataloader.dataset.ann_file': '{data_split[train]}'}
val_split = {'test_dataloader.dataset.ann_file': '{data_split[val]}'}
# unlabelled/ may be empty or absent: no padded sampler, nothing to score
unlabelled = {
    'test_dataloader.dataset.ann_file': '',
    'test_dataloader.dataset.data_prefix': dict(
        img_path='unlabelled', seg_map_path='masks'),
    'test_dataloader.sampler.round_up': False,
}
cam_classes = {'model.head.num_classes': '{data_split[num_fg_classes]}'}
seg_classes = {'model.decode_head.num_classes': '{data_split[num_classes]}'}
eval_args = [
    '--cam-dir', '{cam_dir}', '--data-root', '{data_root}', '--split',
    '{data_split[train]}', '--labels-json', '{root}/data_split.json',
    '--img-dir', 'images', '--img-suffix', *img_suffixes, '--mask-dir',
    'masks', '--masks', 'optional'
]
stages = dict(
    data_split=dict(
        kind='script', script='tools/split_folder.py',
        args=['--data-root', '{data_root}', '--out-json', '{output}'],
        output='{root}/data_split.json'),
    cam_train=dict(kind='train', config=cam_config, work_dir='cam_work_dir',
                   cfg_options={**cam_classes, **train_split, **cam_split}),
    cams=dict(kind='test', config=cam_config, checkpoint='cam_train',
              output='cam_dir', skip_done=True,
              cfg_options={**cam_classes, **train_split, **cam_split}),
    cam_eval=dict(kind='script', script='tools/eval_cams.py',
                  args=eval_args + ['--overlay-dir', '{cam_overlay_dir}',
                                    '--num-overlays', '8', '--out-json',
                                    '{output}'],
                  output='{root}/cam_eval.json', report={'CAM': 'mIoU'}),
    cam_crf_eval=dict(
        kind='script', script='tools/eval_cams.py',
        args=eval_args + ['--crf', '--thresholds',
                          '{cam_eval[best_threshold]}', '--out-json',
                          '{output}'],
        output='{root}/cam_crf_eval.json', report={'CAM + CRF': 'mIoU'}),
    relation_labels=dict(
        kind='script', script='tools/make_relation_labels.py',
        config=irn_config, output='relation_label_dir',
        cfg_options={
            'relation_label_cfg.fg_thresh': '{cam_eval[best_threshold]}',
            'relation_label_cfg.ann_file': '{data_split[train]}',
            'relation_label_cfg.cls_label_file': '{data_split[tag_file]}'
        }),
    irn_train=dict(kind='train', config=irn_config, work_dir='irn_work_dir',
                   cfg_options={**train_split, **cam_split}),
    pseudo_labels=dict(
        kind='test', config=irn_config, checkpoint='irn_train',
        output='pseudo_label_dir',
        cfg_options={
            'model.test_cfg.bg_at_threshold': '{cam_eval[best_threshold]}',
            **train_split, **cam_split
        },
        report={'pseudo-labels': 'mIoU'}),
    pseudo_label_overlays=dict(
        kind='script', script='tools/draw_overlays.py', config=irn_config,
        args=['--out-dir', '{output}', '--num', '8'],
        cfg_options={**train_split, **cam_split},
        output='pseudo_label_overlay_dir'),
    # DeepLab's backbone starts from this run's CAM network
    seg_train=dict(
        kind='train', config=seg_config, work_dir='seg_work_dir',
        cfg_options={
            'model.backbone.init_cfg.checkpoint': '{cam_train}',
            **seg_classes, **train_split, **val_split
        }),
    seg_preds=dict(kind='test', config=seg_config, checkpoint='seg_train',
                   output='pred_dir',
                   cfg_options={**seg_classes, **train_split, **val_split},
                   report={'DeepLab (val)': 'mIoU'}),
    seg_preds_crf=dict(kind='test', config=seg_config,
                       checkpoint='seg_train', output='pred_dir_crf',
                       cfg_options={'model.test_cfg.with_crf': True,
                                    **seg_classes, **train_split,
                                    **val_split},
                       report={'DeepLab + CRF (val)': 'mIoU'}),
    pred_overlays=dict(
        kind='script', script='tools/draw_overlays.py', config=seg_config,
        args=['--label-dir', '{pred_dir_crf}', '--no-cams',
              '--no-relation-labels', '--out-dir', '{output}', '--num', '8'],
        cfg_options={**seg_classes, **train_split, **val_split},
        output='pred_overlay_dir'),
    seg_preds_unlabelled=dict(
        kind='test', config=seg_config, checkpoint='seg_train',
        output='unlabelled_pred_dir',
        cfg_options={
            'model.test_cfg.with_crf': True,
            **seg_classes, **train_split, **unlabelled,
            'test_evaluator': [dict(type='LabelPNGWriter', output_dir='')]
        }),
    unlabelled_overlays=dict(
        kind='script', script='tools/draw_overlays.py', config=seg_config,
        args=['--label-dir', '{unlabelled_pred_dir}', '--no-cams',
              '--no-relation-labels', '--out-dir', '{output}', '--num', '0'],
        cfg_options={**seg_classes, **train_split, **unlabelled},
        output='unlabelled_pred_overlay_dir'),
)
