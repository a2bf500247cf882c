# IRN's relation labels (tools/make_relation_labels.py), MSRC-VOC defaults:
# foreground = argmax over [fg_thresh, CAMs] refined by a dense CRF,
# background = argmax over [bg_thresh, CAMs] refined by a dense CRF, the
# rest 255 (docs/en/method.md section 3.1). cam_dir and out_dir left None
# take the config's top-level cam_dir and relation_label_dir (the stage folders
# of configs/_base_/pipeline/); a VOC config overrides data_root and ann_file.
relation_label_cfg = dict(
    data_root='data/msrc_voc',
    ann_file='ImageSets/Segmentation/train.txt',
    img_dir='JPEGImages',
    img_suffix='.jpg',
    # each CAM's keys must be its image's classes (name -> multi-hot)
    cls_label_file='cls_labels.npz',
    cam_dir=None,
    out_dir=None,
    fg_thresh=0.30,
    bg_thresh=0.05,
    # IRN's CRF: unary from the labels, Gaussian and bilateral kernels
    crf=dict(
        num_iters=10,
        gt_prob=0.7,
        gaussian_sxy=3,
        gaussian_compat=3,
        bilateral_sxy=50,
        bilateral_srgb=5,
        bilateral_compat=10),
    nproc=2,
    # 'error': refuse a folder written with other CAMs / parameters;
    # 'overwrite': delete its labels and recompute them
    on_stale='error')
