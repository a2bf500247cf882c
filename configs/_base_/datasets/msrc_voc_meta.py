# MSRC-VOC (tools/dataset_converters/msrc_v2.py): its 15 classes
# (background, then the 14 foreground classes in the order of the label
# vectors in cls_labels.npz) and VOC's colour map, as in the label PNGs the
# converter writes. Shared by the CAM, IRN and segmentation configs of
# MSRC-VOC.
metainfo = dict(
    classes=('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'book',
             'car', 'cat', 'chair', 'cow', 'dog', 'flower', 'person', 'sheep',
             'sign'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
             [0, 0, 128], [128, 0, 128], [0, 128, 128], [128, 128, 128],
             [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0],
             [64, 0, 128], [192, 0, 128], [64, 128, 128]])
