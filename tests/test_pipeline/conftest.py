"""A pipeline of tiny script stages: fast tests of the runner's decisions."""
import os.path as osp
import textwrap

import pytest
from mmengine.config import Config

# make: write N files (``name_i.txt`` holding ``i * scale``) into a folder,
# append one line per run to a log; sum: add up a folder into a JSON.
TOOL = textwrap.dedent('''
    import json, os, sys, time
    kind, log = sys.argv[1], sys.argv[2]
    with open(log, 'a') as f:
        f.write(kind + ' ' + ' '.join(sys.argv[3:]) + '\\n')
    if kind == 'make':
        out, n, scale = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        os.makedirs(out, exist_ok=True)
        for i in range(n):
            path = os.path.join(out, f'name_{i}.txt')
            if not os.path.exists(path) or os.path.getsize(path) == 0:
                with open(path, 'w') as f:
                    f.write(str(i * scale))
    elif kind == 'sum':
        src, out = sys.argv[3], sys.argv[4]
        total = sum(int(open(os.path.join(src, n)).read())
                    for n in sorted(os.listdir(src)) if not n.startswith('.'))
        with open(out, 'w') as f:
            json.dump({'mIoU': float(total)}, f)
    elif kind == 'sleep':
        with open(sys.argv[3], 'w') as f:
            f.write(str(os.getpid()))
        time.sleep(float(sys.argv[4]))
''')


@pytest.fixture
def script_pipeline(tmp_path):
    """``(make_cfg, calls)``: a config factory for a make -> sum pipeline
    and the list of the tool's calls so far."""
    tool = tmp_path / 'tool.py'
    tool.write_text(TOOL)
    log = tmp_path / 'calls.log'

    def make_cfg(n=3, scale=1, extra=''):
        return Config(dict(
            work_dir=str(tmp_path / 'run'),
            stages=dict(
                make=dict(kind='script', script=str(tool),
                          args=['make', str(log), '{root}/made', str(n),
                                str(scale)],
                          output='{root}/made'),
                total=dict(kind='script', script=str(tool),
                           args=['sum', str(log), '{root}/made',
                                 '{output}'] + ([extra] if extra else []),
                           output='{root}/total.json',
                           report={'sum': 'mIoU'}))))

    def calls():
        """The stage calls logged so far (first word of each line)."""
        if not osp.isfile(log):
            return []
        with open(log) as f:
            return [line.split()[0] for line in f if line.strip()]

    return make_cfg, calls
