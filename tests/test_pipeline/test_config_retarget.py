from mmengine.config import Config

from rpnet_mmseg.pipeline import StagePaths, retarget_options


def test_retarget_rewrites_nested_and_list_paths_only_under_prefix():
    cfg = Config(dict(
        data_root='data/a',
        cam_dir='runs/r0/cams',
        train_dataloader=dict(dataset=dict(data_root='data/a',
                                           other='data/ab/x')),
        test_pipeline=[dict(type='Load'), dict(cam_dir='runs/r0/cams/')],
        evaluator=[dict(output_dir='runs/r0'), dict(output_dir='elsewhere')],
        number=3))
    options = retarget_options(cfg, {'data/a': '/abs/data', 'runs/r0':
                                     'runs/r1/seed_2'})
    assert options == sorted([
        'data_root=/abs/data',
        'cam_dir=runs/r1/seed_2/cams',
        'train_dataloader.dataset.data_root=/abs/data',
        'test_pipeline.1.cam_dir=runs/r1/seed_2/cams/',
        'evaluator.0.output_dir=runs/r1/seed_2',
    ])
    # The options apply to the config as tools/train.py applies them.
    from mmengine.config import DictAction
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    cfg.merge_from_dict(parser.parse_args(['--o', *options]).o)
    assert cfg.test_pipeline[1]['cam_dir'] == 'runs/r1/seed_2/cams/'
    assert cfg.train_dataloader.dataset.other == 'data/ab/x'
    assert cfg.evaluator[1]['output_dir'] == 'elsewhere'


def test_pipeline_dirs_config_agrees_with_stage_paths():
    import os.path as osp
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(repo, 'configs/_base_/pipeline/msrc_demo_dirs.py'))
    paths = StagePaths(cfg.work_root)
    for key in ('cam_dir', 'relation_label_dir', 'irn_work_dir',
                'pseudo_label_dir', 'pseudo_label_overlay_dir',
                'seg_work_dir', 'pred_dir', 'pred_dir_crf'):
        assert osp.normpath(cfg[key]) == osp.normpath(getattr(paths, key)), key
    epochs = Config.fromfile(
        osp.join(repo, 'configs/rpnet/'
                 'rpnet_effnetlite0_1xb16-3ep_msrc-256x256.py')).train_cfg.max_epochs
    assert cfg.cam_checkpoint == paths.cam_checkpoint(epochs)


def test_key_entries_give_path_value_and_owner():
    from rpnet_mmseg.pipeline import key_entries, values_of_key
    writer = dict(type='CAMWriter', cam_dir='out')
    cfg = dict(cam_dir='top', loader=dict(dataset=dict(pipeline=[
        dict(type='LoadCAMFromFile', cam_dir='a'), writer,
        dict(type='X', cam_dir=None)])), other=['cam_dir'])
    found = list(key_entries(cfg, 'cam_dir'))
    assert [(p, v) for p, v, _ in found] == [
        ('cam_dir', 'top'), ('loader.dataset.pipeline.0.cam_dir', 'a'),
        ('loader.dataset.pipeline.1.cam_dir', 'out'),
        ('loader.dataset.pipeline.2.cam_dir', None)]
    assert found[2][2] is writer
    assert values_of_key(cfg, 'cam_dir') == ['top', 'a', 'out']
