# MS COCO 2014 in the WSSS layout, written by
# tools/dataset_converters/coco_wsss.py from COCO's instance annotations:
#   data/coco2014/{train2014,val2014}/NAME.jpg        (COCO's archives)
#   data/coco2014/SegmentationClass/{split}/NAME.png  (0 bg, 1..80, 255)
#   data/coco2014/ImageSets/Segmentation/{split}.txt  (82,081 / 40,137 names)
#   data/coco2014/cls_labels.npy                      (NAME -> [80] multi-hot)
# The 80 categories in COCO's id order, remapped to 1..80 (0 background).
# CAM stage: image-level labels of train2014; CAMs are written for every
# train2014 image (IRN's input) and evaluated on their masks.
dataset_type = 'ImageLevelSegDataset'
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
crop_size = (512, 512)
# IRN's augmentation (as for VOC): long side 320..640, flip, random 512 crop.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLevelInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLevelInputs'),
]
train_dataloader = dict(
    batch_size=8,  # 8 pairs = 16 images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pair_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        paired=True,
        pipeline=train_pipeline,
        **train_split))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline,
        **train_split))
val_dataloader = None
val_cfg = None
val_evaluator = None
