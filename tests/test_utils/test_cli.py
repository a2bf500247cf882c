"""rpnet_mmseg.utils.cli: the command line the config tools share."""
import os
import os.path as osp

import pytest

from rpnet_mmseg.utils import (config_parser, exit_on_error, load_run_config,
                               parse_launcher_args)


def test_config_parser_takes_config_and_cfg_options():
    parser = config_parser('a tool', config_help='the config')
    parser.add_argument('--num', type=int, default=8)
    args = parser.parse_args(['c.py', '--cfg-options', 'a.b=1', 'c=x'])
    assert args.config == 'c.py'
    assert args.cfg_options == {'a.b': 1, 'c': 'x'}
    assert args.num == 8
    assert parser.parse_args(['c.py']).cfg_options is None


def test_parse_launcher_args_sets_local_rank(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = parse_launcher_args(config_parser('t'),
                               ['c.py', '--local-rank', '3'])
    assert (args.launcher, args.local_rank) == ('none', 3)
    assert os.environ['LOCAL_RANK'] == '3'
    # torchrun's LOCAL_RANK wins over the default.
    monkeypatch.setenv('LOCAL_RANK', '1')
    args = parse_launcher_args(config_parser('t'),
                               ['c.py', '--launcher', 'pytorch'])
    assert args.launcher == 'pytorch'
    assert os.environ['LOCAL_RANK'] == '1'


def _run_args(argv):
    parser = config_parser('t')
    parser.add_argument('--work-dir')
    return parse_launcher_args(parser, argv)


def test_load_run_config_work_dir(tmp_path):
    cfg_file = tmp_path / 'my_cfg.py'
    cfg_file.write_text('a = 1\n')
    cfg = load_run_config(
        _run_args([str(cfg_file), '--cfg-options', 'a=2', 'launcher=slurm']))
    assert cfg.a == 2
    assert cfg.launcher == 'slurm'  # --cfg-options are merged last
    assert cfg.work_dir == osp.join('./work_dirs', 'my_cfg')
    cfg = load_run_config(_run_args([str(cfg_file), '--work-dir', 'w']))
    assert (cfg.launcher, cfg.work_dir) == ('none', 'w')
    cfg_file.write_text("work_dir = 'from_cfg'\n")
    assert load_run_config(_run_args([str(cfg_file)])).work_dir == 'from_cfg'


def test_exit_on_error():
    assert exit_on_error(lambda: 3) == 3

    def missing():
        raise FileNotFoundError('no such file: x')

    with pytest.raises(SystemExit) as e:
        exit_on_error(missing)
    assert e.value.code == 'error: no such file: x'

    def bug():
        raise KeyError('k')

    with pytest.raises(KeyError):
        exit_on_error(bug)
