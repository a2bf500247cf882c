"""Every shipped config parses and builds its model and datasets' types."""
import glob
import re
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def test_configs_exist():
    names = [osp.relpath(p, REPO) for p in CONFIGS]
    assert 'configs/rpnet_resnext50_voc.py' in names
    assert len(names) >= 10


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports['imports'] == ['rpnet_mmseg']
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    # Build without ImageNet weights (no download in tests).
    backbone = cfg.model.backbone
    if backbone.type == 'EfficientNetLite0':
        backbone.pretrained = False
    else:
        backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    paired = bool(cfg.train_dataloader.dataset.get('paired'))
    assert paired == (cfg.model.head.type == 'RPNetHead')
    if 'resnext101' in path or 'resnet101' in path:
        return  # same head as the 50-layer configs; skip the slow forward
    model.eval()
    with torch.no_grad():
        logits = model._forward(torch.rand(1, 3, 64, 64))
    assert logits.shape == (1, cfg.model.head.num_classes)


def test_tools_point_at_existing_configs():
    """The demo's experiments and the benchmark's defaults exist."""
    import importlib.util
    import sys
    sys.path.insert(0, REPO)
    spec = importlib.util.spec_from_file_location(
        'run_demo', osp.join(REPO, 'tools', 'run_demo.py'))
    run_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_demo)
    paths = list(run_demo.EXPERIMENTS.values())
    text = open(osp.join(REPO, 'benchmarks', 'step_time.py')).read()
    paths += re.findall(r"'(configs/[^']+\.py)'", text)
    assert len(paths) >= 7
    for path in paths:
        assert osp.isfile(osp.join(REPO, path)), path
