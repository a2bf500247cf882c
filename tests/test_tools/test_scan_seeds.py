"""tools/analysis_tools/scan_seeds.py on the tiny dataset."""
import json
import os
import subprocess
import sys

import pytest


def _scan(tiny_job, cfg, *extra):
    out = str(tiny_job.tmp / 'scan.json')
    res = subprocess.run([
        sys.executable, 'tools/analysis_tools/scan_seeds.py', cfg, '--seeds',
        '0', '1', '--iters', '10', '--work-dir',
        str(tiny_job.tmp / 'scan'), '--out-json', out, *extra
    ], cwd=tiny_job.repo, env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return res.stdout, json.load(open(out))


@pytest.mark.parametrize('head', ['RPNetHead', 'CAMHead'])
def test_each_seed_is_summarised(tiny_job, head):
    cfg = tiny_job.write_config('cfg.py', head=head, epochs=4)
    stdout, results = _scan(tiny_job, cfg, '--verbose')
    assert [r['seed'] for r in results] == [0, 1]
    assert stdout.count('  iter ') == 20
    for r in results:
        assert r['iters'] == 10
        assert 0 <= r['dead'] <= 1
        # RPNet logs its foreground map; the plain CAM head has none.
        assert (r['fm_at_10'] is None) == (head == 'CAMHead')
    assert 'seed 0: dead@10' in stdout and 'seeds collapsing' in stdout


def test_a_diverging_run_is_flagged(tiny_job):
    cfg = tiny_job.write_config('cfg.py', head='CAMHead', epochs=4)
    stdout, results = _scan(tiny_job, cfg, '--cfg-options',
                            'optim_wrapper.optimizer.lr=1000.0')
    assert all(r['collapsing'] for r in results)
    assert '2 of 2 seeds collapsing' in stdout
