"""Your own data: the folder pipeline end to end on a tiny folder of photos.

Three classes, 30 images (``.jpg`` and ``.png``, one name with a space),
tags in a CSV with both separators or in mmpretrain's JSON, five masks and
three unlabelled images (none with the JSON: no ``unlabelled/`` at all):
every stage under 2 gloo processes, to the predictions of ``val`` and
``unlabelled/`` and their overlays.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from rpnet_mmseg.pipeline import PipelineRunner, load_pipeline
from tiny_trees import build_folder_tree, tiny_pipeline

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'configs', 'pipelines',
                  'rpnet-irn-deeplab_folder.py')
STAGES = ['data_split', 'cam_train', 'cams', 'cam_eval', 'cam_crf_eval',
          'relation_labels', 'irn_train', 'pseudo_labels',
          'pseudo_label_overlays', 'seg_train', 'seg_preds', 'seg_preds_crf',
          'pred_overlays', 'seg_preds_unlabelled', 'unlabelled_overlays']


def _pngs(folder):
    return sorted(osp.splitext(n)[0] for n in os.listdir(folder)
                  if n.endswith('.png'))


def _lines(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f if line.strip()]


@pytest.mark.parametrize('tags', ['csv', 'json'])
def test_folder_pipeline_to_predictions_and_overlays(tmp_path, capfd,
                                                     monkeypatch, free_port,
                                                     tags):
    monkeypatch.setenv('PORT', str(free_port()))  # the launchers' port
    data, run = str(tmp_path / 'photos'), str(tmp_path / 'run')
    names = build_folder_tree(data, tags=tags, classes_txt=tags == 'csv',
                              num_unlabelled=3 if tags == 'csv' else 0)
    cfg = tiny_pipeline(load_pipeline(FOLDER), run, data, folder=True)
    runner = PipelineRunner(cfg, REPO, gpus=2)
    runner.run()
    out = capfd.readouterr().out
    assert list(runner.verdicts) == STAGES
    assert set(runner.verdicts.values()) == {'new'}
    assert out.count('$ bash tools/dist_train.sh') == 3
    assert out.count('$ bash tools/dist_test.sh') == 5

    # The classes and the splits come from the folder, into the run.
    with open(osp.join(run, 'data_split.json')) as f:
        split = json.load(f)
    assert split['classes'] == ['background', 'red', 'blue', 'green']
    train, val = _lines(split['train']), _lines(split['val'])
    tagged = names[:-1]  # the last image is tagged background only
    assert sorted(train + val) == sorted(tagged) and len(val) == 3
    assert split['num_train_masks'] + split['num_val_masks'] == 5

    # Every stage wrote every image it owes, under the folder's names.
    assert _pngs(osp.join(run, 'pseudo_labels')) == sorted(train)
    for folder in ('preds', 'preds_crf'):
        assert _pngs(osp.join(run, 'deeplab', folder)) == sorted(val)
    unlabelled = ['new_0', 'new_1', 'new_2'] if tags == 'csv' else []
    assert _pngs(osp.join(run, 'deeplab', 'preds_unlabelled')) == unlabelled
    assert _pngs(osp.join(run, 'deeplab',
                          'pred_overlays_unlabelled')) == unlabelled
    assert _pngs(osp.join(run, 'deeplab', 'pred_overlays')) == sorted(val)
    assert len(_pngs(osp.join(run, 'pseudo_label_overlays'))) == 8
    for name in val:
        pred = np.asarray(Image.open(
            osp.join(run, 'deeplab', 'preds_crf', name + '.png')))
        assert pred.max() < 4  # class ids of the folder's 3 classes

    # Scored where masks exist, said where none do.
    results = {column: value for _, column, value in runner.results()}
    assert results['CAM'] is not None and results['pseudo-labels'] is not None
    assert (results['DeepLab (val)'] is None) == (split['num_val_masks'] == 0)

    # Unchanged: nothing runs again; a new tag reruns from the split on.
    runner = PipelineRunner(cfg, REPO)
    runner.run()
    assert set(runner.verdicts.values()) == {'done'}
    runner = PipelineRunner(cfg, REPO)
    runner.run(dry_run=True)
    assert set(runner.verdicts.values()) == {'done'}
    if tags == 'csv':
        path = osp.join(data, 'labels.csv')
        with open(path) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace('img_01.jpg,green', 'img_01.jpg,green red'))
        runner = PipelineRunner(cfg, REPO)
        runner.run(dry_run=True)
        # the split reruns; every stage after it waits for its report
        assert runner.verdicts['data_split'] == 'changed'
        assert 'done' not in list(runner.verdicts.values())


def test_paper_folder_pipeline_swaps_only_the_networks(tmp_path):
    """The paper variant runs the same stages; each of its stage configs
    reads the folder through the folder datasets."""
    from rpnet_mmseg.datasets import build_lazy
    cpu = load_pipeline(FOLDER)
    paper = load_pipeline(FOLDER.replace('_folder.py', '_folder-paper.py'))
    assert list(paper.stages) == list(cpu.stages) == STAGES
    data = str(tmp_path / 'photos')
    build_folder_tree(data, num_images=6, num_masks=1, num_unlabelled=0)
    for name, stage in paper.stages.items():
        assert stage.get('cfg_options') is None or set(
            cpu.stages[name].get('cfg_options') or {}) <= set(
                stage['cfg_options']), name
        if not stage.get('config'):
            continue
        assert stage['config'] != cpu.stages[name]['config']
        assert osp.isfile(osp.join(REPO, stage['config']))
        from mmengine.config import Config
        cfg = Config.fromfile(osp.join(REPO, stage['config']))
        for key in ('train_dataloader', 'test_dataloader'):
            ds_cfg = dict(cfg[key].dataset, data_root=data, ann_file='')
            assert build_lazy(ds_cfg).metainfo['classes'] == (
                'background', 'red', 'blue', 'green')
