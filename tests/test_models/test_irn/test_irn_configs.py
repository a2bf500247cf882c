"""Every shipped IRN config builds, trains every trainable parameter, and
takes its stage folders from the one pipeline file.

DDP runs with ``find_unused_parameters=False``: a trainable parameter that
no loss reaches stops multi-GPU training, so one real forward/backward on a
small batch must give every one a finite (and, for the heads, non-zero)
gradient. Backbones are built without ImageNet weights (no download).
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample
from rpnet_mmseg.utils import IRN_CRF_PARAMS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'irn', '*.py')))
IDS = [osp.basename(p) for p in CONFIGS]


def _build_offline(cfg, size=64):
    cfg.model.data_preprocessor.size = (size, size)
    backbone = cfg.model.backbone
    if backbone.type == 'EfficientNetLite0':
        backbone.pretrained = False
    else:
        backbone.init_cfg = None
    return MODELS.build(cfg.model)


def _batch(num_classes, size=64, n=2):
    g = torch.Generator().manual_seed(0)
    inputs = [torch.rand(3, size, size, generator=g) * 255 for _ in range(n)]
    samples = []
    for i in range(n):
        seg = torch.zeros(1, size, size, dtype=torch.long)
        seg[:, 8:40, 10:30] = 1
        seg[:, 20:56, 34:60] = 1 + (i + 1) % (num_classes - 1)
        seg[:, 8:40, 30:34] = 255
        ds = SegDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size)))
        ds.gt_sem_seg = PixelData(data=seg)
        samples.append(ds)
    return dict(inputs=inputs, data_samples=samples)


def test_both_configs_exist():
    assert any(
        n.startswith('irn_resnet50_1xb32-3ep_voc12aug-512x512') for n in IDS)
    assert any(
        n.startswith('irn_effnetlite0_1xb') and n.endswith('_msrc-192x192.py')
        for n in IDS)


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_one_step_reaches_every_trainable_parameter(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports['imports'] == ['rpnet_mmseg']
    torch.manual_seed(0)
    model = _build_offline(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(
        # a folder dataset's classes come from its files: any count
        _batch(len((cfg.train_dataloader.dataset.get('metainfo')
                    or dict(classes=range(4)))['classes'])),
        training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {
        'loss_bg_pos', 'loss_fg_pos', 'loss_neg', 'loss_dp_fg', 'loss_dp_bg'
    }
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert trainable
    assert not [n for n, _ in trainable if n.startswith('backbone.')]
    no_grad = [n for n, p in trainable if p.grad is None]
    assert not no_grad, f'parameters no loss reaches: {no_grad[:10]}'
    bad = [n for n, p in trainable if not torch.isfinite(p.grad).all()]
    assert not bad, f'non-finite gradients: {bad[:10]}'
    zero = [n for n, p in trainable if p.grad.abs().sum() == 0]
    assert not zero, f'zero gradients: {zero[:10]}'


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_irn_settings_and_stage_folders(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.train_cfg.path_index.radius == 10
    assert model.test_cfg.path_index.radius == 5
    if 'resnet50' in path:  # the paper's IRN (VOC, COCO, a folder): its walk
        assert (model.test_cfg.beta, model.test_cfg.exp_times,
                model.test_cfg.bg_threshold) == (10, 8, 0.25)
        assert model.test_cfg.get('bg_mode', 'constant') == 'constant'
        assert model.test_cfg.get('crf') is None
    else:  # the MSRC demo: measured in docs/en/irn.md
        assert (model.test_cfg.beta, model.test_cfg.exp_times,
                model.test_cfg.bg_mode, model.test_cfg.bg_power) == \
            (10, 5, 'walked', 3.376)
        assert model.test_cfg.crf == IRN_CRF_PARAMS
    opt = cfg.optim_wrapper
    assert opt.optimizer.lr == 0.1 and opt.optimizer.weight_decay == 1e-4
    assert opt.paramwise_cfg.custom_keys['displacement_head.'].lr_mult == 10
    assert cfg.param_scheduler[0].type == 'PolyLR'
    assert cfg.param_scheduler[0].power == 0.9
    # Every stage folder comes from the pipeline file's variables.
    train_set = cfg.train_dataloader.dataset
    assert DATASETS.get(train_set.type) is not None
    assert train_set.pseudo_label_dir == cfg.relation_label_dir
    loaders = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t.type == 'LoadCAMFromFile'
    ]
    assert len(loaders) == 1 and loaders[0].cam_dir == cfg.cam_dir
    writer, metric = cfg.test_evaluator
    assert writer.type == 'LabelPNGWriter'
    assert writer.output_dir == cfg.pseudo_label_dir
    assert metric.type == 'LabelledIoUMetric' and metric.allow_no_mask
    assert cfg.work_dir == cfg.irn_work_dir
    for key in ('cam_dir', 'relation_label_dir', 'pseudo_label_dir',
                'irn_work_dir'):
        assert cfg[key].startswith(cfg.work_root + '/')
    # Inference at the image's own size: no resize in the test pipeline.
    assert not [
        t for t in cfg.test_dataloader.dataset.pipeline if 'Resize' in t.type
    ]


def test_msrc_demo_folders_agree_with_stage_paths():
    """The demo config's folders are StagePaths' of its work_root."""
    from rpnet_mmseg.pipeline import StagePaths
    cfg = Config.fromfile(
        [p for p in CONFIGS if 'msrc' in osp.basename(p)][0])
    assert cfg.work_root.startswith('work_dirs/demo/rpnet')
    paths = StagePaths(cfg.work_root)
    assert cfg.cam_dir == paths.cam_dir
    assert cfg.relation_label_dir == paths.relation_label_dir
    assert cfg.pseudo_label_dir == paths.pseudo_label_dir
    assert cfg.work_dir == paths.irn_work_dir
