# RPNet's CPU CAM network (the demo's rpnet_effnetlite0_1xb16-3ep_msrc-256x256)
# on a folder of tagged photos (docs/en/data.md, "Your own data"): the
# TaggedFolderDataset reads DIR/images, the tags (labels.csv or mmpretrain's
# labels.json) and classes.txt; the classes come from the folder. Set the
# class count of your data (the folder pipeline sets it from
# tools/split_folder.py's report):
#   --cfg-options model.head.num_classes=C   (foreground classes)
_base_ = ['./rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py']
data_root = 'data/my_photos'
model = dict(head=dict(num_classes=3))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        paired=True,
        pipeline={{_base_.train_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TaggedFolderDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
work_dir = 'work_dirs/rpnet_effnetlite0_1xb16-3ep_folder-256x256'
test_evaluator = dict(type='CAMWriter', output_dir=work_dir + '/cams')
