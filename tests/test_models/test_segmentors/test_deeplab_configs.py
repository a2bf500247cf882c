"""The shipped DeepLab-LargeFOV configs: the paper's settings, and one
forward/backward on a tiny batch that reaches every trainable parameter."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'deeplab', '*.py')))
PAPER = osp.join(REPO, 'configs', 'deeplab',
                 'deeplab-largefov_r50-d8_1xb10-20k_voc12aug-pseudo-'
                 '512x512.py')


def test_configs_found():
    assert PAPER in CONFIGS
    assert any('msrc' in p for p in CONFIGS)


def test_paper_setting():
    """RPNet Table VIII / docs/en/method.md sections 4.1-4.2."""
    cfg = Config.fromfile(PAPER)
    bb, head = cfg.model.backbone, cfg.model.decode_head
    assert bb.type == 'ResNet' and bb.depth == 50
    # Output stride 8: stride-1 stages 3-4, dilated 2 and 4.
    assert tuple(bb.strides) == (1, 2, 1, 1)
    assert tuple(bb.dilations) == (1, 1, 2, 4)
    assert bb.init_cfg.checkpoint == 'torchvision://resnet50'
    assert head.type == 'DeepLabLargeFOVHead' and head.in_channels == 2048
    assert (head.fc_channels, head.channels, head.dilation,
            head.kernel_size) == (1024, 1024, 12, 3)
    assert head.fc_dropout_ratio == head.dropout_ratio == 0.5
    assert head.num_classes == 21
    opt = cfg.optim_wrapper
    assert opt.optimizer.type == 'SGD' and opt.optimizer.lr == 1e-3
    assert opt.optimizer.momentum == 0.9
    assert opt.optimizer.weight_decay == 5e-4
    assert opt.paramwise_cfg.custom_keys['decode_head'].lr_mult == 10.0
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.power == 0.9 and poly.end == 20000
    assert cfg.train_cfg.max_iters == 20000
    assert cfg.train_dataloader.batch_size == 10
    assert tuple(cfg.crop_size) == (512, 512)
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'PseudoLabelSegDataset'
    assert ds.ann_file.endswith('train_aug.txt') and ds.pseudo_label_dir
    assert cfg.val_evaluator.type == 'IoUMetric'
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert cfg.default_hooks.visualization.type == 'SegVisualizationHook'
    assert cfg.tta_model.type == 'CRFSegTTAModel'
    crf = cfg.model.crf
    assert (crf.num_iters, crf.gaussian_sxy, crf.gaussian_compat,
            crf.bilateral_sxy, crf.bilateral_srgb,
            crf.bilateral_compat) == (10, 1.0, 3.0, 67.0, 3.0, 4.0)
    assert cfg.model.test_cfg.with_crf is False


def test_msrc_config_reads_the_stage_folders():
    """Pseudo-labels, work dir and prediction folders come from
    configs/_base_/pipeline/msrc_demo_dirs.py."""
    dirs = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'pipeline', 'msrc_demo_dirs.py'))
    for path in CONFIGS:
        if 'msrc' not in path:
            continue
        cfg = Config.fromfile(path)
        writers = [e for e in cfg.test_evaluator
                   if e.type == 'LabelPNGWriter']
        train_set = cfg.train_dataloader.dataset
        if 'traindev' in path:
            # the fully supervised reference and its weak twin: the 165
            # train_dev images, their own folders under the run
            gt = 'traindev-gt' in path
            assert train_set.ann_file.endswith('train_dev.txt')
            assert train_set.pseudo_label_dir == (
                None if gt else dirs.pseudo_label_dir)
            assert cfg.work_dir == dirs.work_root + (
                '/deeplab_traindev_gt' if gt else '/deeplab_traindev_pseudo')
            assert [w.output_dir for w in writers] == [cfg.work_dir +
                                                       '/preds']
        else:
            assert train_set.ann_file.endswith('train.txt')
            assert train_set.pseudo_label_dir == dirs.pseudo_label_dir
            assert cfg.work_dir == dirs.seg_work_dir
            want = dirs.pred_dir_crf if cfg.model.test_cfg.with_crf else \
                dirs.pred_dir
            assert [w.output_dir for w in writers] == [want]
        assert cfg.val_dataloader.dataset.ann_file.endswith('val_dev.txt')
        assert cfg.test_dataloader.dataset.ann_file.endswith('val.txt')
        assert len(cfg.train_dataloader.dataset.metainfo.classes) == 15
        assert cfg.model.decode_head.num_classes == 15
        # The CPU demo's backbone: the same run's CAM network, frozen.
        bb = cfg.model.backbone
        assert bb.init_cfg.checkpoint == dirs.cam_checkpoint
        assert bb.init_cfg.prefix == 'backbone.'
        assert bb.frozen_stages == 4 and bb.norm_eval


def _build_offline(cfg):
    bb = cfg.model.backbone
    if bb.type == 'EfficientNetLite0':
        bb.pretrained = False
    bb.init_cfg = None
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.basename(p) for p in CONFIGS])
def test_one_step_reaches_every_trainable_parameter(path):
    cfg = Config.fromfile(path)
    cfg.model.data_preprocessor.size = (64, 64)
    torch.manual_seed(0)
    model = _build_offline(cfg)
    model.init_weights()
    model.train()
    k = cfg.model.decode_head.num_classes
    samples = []
    for i in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                        ori_shape=(64, 64),
                                        pad_shape=(64, 64)))
        seg = torch.zeros(1, 64, 64, dtype=torch.long)
        seg[:, 16:48, 16:40] = 1 + i
        seg[:, 16:48, 40:48] = k - 1
        seg[:, :2] = 255
        s.gt_sem_seg = PixelData(data=seg)
        samples.append(s)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
                     for _ in range(2)], data_samples=samples),
        training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for n, v in losses.items() if 'loss' in n)
    assert torch.isfinite(total)
    total.backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert trainable
    missing = [n for n, p in trainable if p.grad is None]
    assert not missing, missing[:10]
    bad = [n for n, p in trainable if not torch.isfinite(p.grad).all()]
    assert not bad, bad[:10]
    assert model.decode_head.fc6.conv.weight.grad.abs().sum() > 0
