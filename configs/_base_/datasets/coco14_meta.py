# MS COCO 2014 in the WSSS layout (tools/dataset_converters/coco_wsss.py):
# where the data is, its 81 classes (COCO's 80 categories in id order,
# remapped to 1..80; 0 background) and each split's files. Shared by the
# CAM, IRN and segmentation configs of COCO.
data_root = 'data/coco2014'
metainfo = dict(
    classes=('background', 'person', 'bicycle', 'car', 'motorcycle',
             'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
             'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird',
             'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear',
             'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
             'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
             'kite', 'baseball bat', 'baseball glove', 'skateboard',
             'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup',
             'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich',
             'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut',
             'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table',
             'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
             'cell phone', 'microwave', 'oven', 'toaster', 'sink',
             'refrigerator', 'book', 'clock', 'vase', 'scissors',
             'teddy bear', 'hair drier', 'toothbrush'),
    # VOC's colour map, as in the label PNGs the converter writes.
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
             [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0],
             [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128],
             [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0],
             [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128],
             [128, 64, 128], [0, 192, 128], [128, 192, 128], [64, 64, 0],
             [192, 64, 0], [64, 192, 0], [192, 192, 0], [64, 64, 128],
             [192, 64, 128], [64, 192, 128], [192, 192, 128], [0, 0, 64],
             [128, 0, 64], [0, 128, 64], [128, 128, 64], [0, 0, 192],
             [128, 0, 192], [0, 128, 192], [128, 128, 192], [64, 0, 64],
             [192, 0, 64], [64, 128, 64], [192, 128, 64], [64, 0, 192],
             [192, 0, 192], [64, 128, 192], [192, 128, 192], [0, 64, 64],
             [128, 64, 64], [0, 192, 64], [128, 192, 64], [0, 64, 192],
             [128, 64, 192], [0, 192, 192], [128, 192, 192], [64, 64, 64],
             [192, 64, 64], [64, 192, 64], [192, 192, 64], [64, 64, 192],
             [192, 64, 192], [64, 192, 192], [192, 192, 192], [32, 0, 0],
             [160, 0, 0], [32, 128, 0], [160, 128, 0], [32, 0, 128],
             [160, 0, 128], [32, 128, 128], [160, 128, 128], [96, 0, 0],
             [224, 0, 0], [96, 128, 0], [224, 128, 0], [96, 0, 128],
             [224, 0, 128], [96, 128, 128], [224, 128, 128], [32, 64, 0]])
train_split = dict(
    ann_file='ImageSets/Segmentation/train2014.txt',
    data_prefix=dict(
        img_path='train2014', seg_map_path='SegmentationClass/train2014'))
val_split = dict(
    ann_file='ImageSets/Segmentation/val2014.txt',
    data_prefix=dict(
        img_path='val2014', seg_map_path='SegmentationClass/val2014'))
