# IRN's CPU config (the demo's irn_effnetlite0_1xb8-3ep_msrc-192x192) on a
# folder of tagged photos (docs/en/data.md, "Your own data"): relation
# labels from the CAMs of the train split, IRN trained on them, then the
# random walk's pseudo-labels of every train image, scored where the folder
# has masks.
_base_ = ['./irn_effnetlite0_1xb8-3ep_msrc-192x192.py']
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
relation_label_cfg = dict(
    data_root=data_root,
    ann_file='splits/train.txt',
    img_dir='images',
    img_suffix=['.jpg', '.jpeg', '.png', '.bmp', '.JPG', '.JPEG', '.PNG'],
    cls_label_file='labels.csv')
