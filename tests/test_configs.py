"""Every shipped config parses, builds, and trains every trainable parameter.

DDP runs with ``find_unused_parameters=False``: a parameter with
``requires_grad`` that no loss reaches stops multi-GPU training on its second
iteration. So for EVERY model config under ``configs/`` one real
forward/backward on a small batch must give every such parameter a finite
gradient, and the modules RPNet adds must receive a non-zero gradient.
"""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    # model configs: not the bases, not the pipelines (which name them)
    if '_base_' not in p and f'{osp.sep}pipelines{osp.sep}' not in p)
IDS = [osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS]


def build_model_offline(cfg: Config, size: int = 64) -> torch.nn.Module:
    """Build ``cfg.model`` without ImageNet weights (no download).

    The data preprocessor pads to ``size`` instead of the config's crop, so
    that the 101-layer backbones stay fast on CPU.
    """
    if cfg.model.get('data_preprocessor', {}).get('size'):
        cfg.model.data_preprocessor.size = (size, size)
    backbone = cfg.model.backbone
    if backbone.type == 'EfficientNetLite0':
        backbone.pretrained = False
    else:
        backbone.pop('pretrained', None)
    # No checkpoint file (ImageNet, or the demo's CAM network) is read.
    backbone.init_cfg = None
    cfg.model.pop('pretrained', None)
    return MODELS.build(cfg.model)


def num_classes_of(cfg: Config) -> int:
    """Number of output classes of a config's model."""
    for key in ('head', 'decode_head'):
        if key in cfg.model and 'num_classes' in cfg.model[key]:
            return cfg.model[key].num_classes
    metainfo = cfg.train_dataloader.dataset.get('metainfo')
    if not metainfo:  # a folder dataset: its classes come from its files
        return 4
    return len(metainfo['classes'])


def training_batch(cfg: Config, size: int = 64, num_images: int = 4):
    """A random batch in the format the config's model trains on.

    CAM models get image-level labels (pairs ``2i``, ``2i + 1`` sharing
    class 0 for RPNet); segmentation-style models (IRN, DeepLab) a label map
    with class ids, background and ignored pixels.
    """
    g = torch.Generator().manual_seed(0)
    inputs = torch.rand(num_images, 3, size, size, generator=g) * 255
    num_classes = num_classes_of(cfg)
    samples = []
    for i in range(num_images):
        ds = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            pad_shape=(size, size), img_path=f'im_{i}.jpg', img_id=f'im_{i}',
            flip=False))
        if cfg.model.type == 'CAMClassifier':
            label = torch.zeros(num_classes)
            label[0] = 1
            label[1 + i % (num_classes - 1)] = 1
            ds.gt_label = label
        else:
            seg = torch.zeros(1, size, size, dtype=torch.long)
            seg[:, size // 4:3 * size // 4, size // 4:size // 2] = 1
            seg[:, size // 4:3 * size // 4, size // 2:3 * size // 4] = 2
            seg[:, :4] = 255
            ds.gt_sem_seg = PixelData(data=seg)
        samples.append(ds)
    return inputs, samples


def test_configs_exist():
    names = [osp.relpath(p, REPO) for p in CONFIGS]
    assert 'configs/rpnet_resnext50_voc.py' in names
    assert len(names) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports['imports'] == ['rpnet_mmseg']
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    model = build_model_offline(cfg)
    if cfg.model.type == 'CAMClassifier':
        paired = bool(cfg.train_dataloader.dataset.get('paired'))
        assert paired == (cfg.model.head.type == 'RPNetHead')


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_trains_every_parameter(path):
    """One real forward/backward reaches every trainable parameter."""
    cfg = Config.fromfile(path)
    torch.manual_seed(0)
    model = build_model_offline(cfg)
    model.init_weights()
    model.train()
    inputs, samples = training_batch(cfg)
    data = model.data_preprocessor(
        dict(inputs=list(inputs), data_samples=samples), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items()
                if 'loss' in k and isinstance(v, torch.Tensor))
    assert torch.isfinite(total)
    total.backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert trainable
    no_grad = [n for n, p in trainable if p.grad is None]
    assert not no_grad, f'parameters no loss reaches: {no_grad[:10]}'
    bad = [n for n, p in trainable if not torch.isfinite(p.grad).all()]
    assert not bad, f'non-finite gradients: {bad[:10]}'
    if cfg.model.get('head', {}).get('type') == 'RPNetHead':
        added = [p.grad.abs().sum() for n, p in trainable
                 if n.startswith('head.activation.')]
        assert added and sum(added) > 0, \
            'the prototype branch (eq. 3 projections) gets no gradient'


def test_tools_point_at_existing_configs():
    """The demo's experiments and the benchmark's defaults exist."""
    import importlib.util
    import sys
    sys.path.insert(0, REPO)
    spec = importlib.util.spec_from_file_location(
        'run_demo', osp.join(REPO, 'tools', 'run_demo.py'))
    run_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_demo)
    paths = [config for config, _ in run_demo.EXPERIMENTS.values()]
    text = open(osp.join(REPO, 'benchmarks', 'step_time.py')).read()
    paths += re.findall(r"'(configs/[^']+\.py)'", text)
    assert len(paths) >= 7
    for path in paths:
        assert osp.isfile(osp.join(REPO, path)), path
