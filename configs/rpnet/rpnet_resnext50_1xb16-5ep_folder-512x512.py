# The paper's RPNet (ResNeXt-50, rpnet_resnext50_1xb16-5ep_voc12aug-512x512)
# on a folder of tagged photos (docs/en/data.md, "Your own data"), for
# configs/pipelines/rpnet-irn-deeplab_folder-paper.py. Set the class count
# of your data: --cfg-options model.head.num_classes=C (foreground).
_base_ = ['./rpnet_resnext50_1xb16-5ep_voc12aug-512x512.py']
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
