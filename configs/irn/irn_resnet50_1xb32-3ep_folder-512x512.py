# The paper's IRN (ResNet-50, irn_resnet50_1xb32-3ep_voc12aug-512x512) on a
# folder of tagged photos (docs/en/data.md, "Your own data"), for
# configs/pipelines/rpnet-irn-deeplab_folder-paper.py.
_base_ = ['./irn_resnet50_1xb32-3ep_voc12aug-512x512.py']
data_root = 'data/my_photos'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderSegDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        pseudo_label_dir={{_base_.relation_label_dir}},
        pipeline={{_base_.train_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_evaluator = [
    dict(type='LabelPNGWriter', output_dir={{_base_.pseudo_label_dir}}),
    dict(type='LabelledIoUMetric', allow_no_mask=True),
]
relation_label_cfg = dict(
    data_root=data_root,
    ann_file='splits/train.txt',
    img_dir='images',
    img_suffix=['.jpg', '.jpeg', '.png', '.bmp', '.JPG', '.JPEG', '.PNG'],
    cls_label_file='labels.csv')
