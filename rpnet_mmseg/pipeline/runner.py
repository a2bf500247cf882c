"""Run a pipeline config: every stage, once, and again only when needed.

A pipeline config (``configs/pipelines/*.py``) names a run folder, a data
root and its stages in order::

    work_dir = 'work_dirs/rpnet-irn-deeplab_voc12aug'
    data_root = 'data/VOCdevkit/VOC2012'
    stages = dict(
        cam_train=dict(kind='train', config='configs/rpnet/...py',
                       work_dir='cam_work_dir'),
        cams=dict(kind='test', config='configs/rpnet/...py',
                  checkpoint='cam_train', output='cam_dir', skip_done=True),
        cam_eval=dict(kind='script', script='tools/eval_cams.py',
                      args=['--cam-dir', '{cam_dir}', ...],
                      output='{root}/cam_eval.json', report=dict(CAM='mIoU')),
        ...)

Kinds: ``train`` runs ``tools/train.py`` (``dist_train.sh`` /
``slurm_train.sh`` on several GPUs) in the :class:`StagePaths` folder named
by ``work_dir``; its output is the final checkpoint. ``test`` runs
``tools/test.py`` (``dist_test.sh`` / ``slurm_test.sh``) with the checkpoint
of an earlier ``train`` stage, its writer pointed at ``output``; its
metrics go to ``ROOT/STAGE.json``. ``script`` runs any tool with ``args``
(and the stage config as first argument when ``config`` is given).
``output`` is a :class:`StagePaths` attribute or a template; templates (in
``output``, ``args`` and string values of ``cfg_options``) may use
``{root}``, ``{data_root}``, ``{output}``, every :class:`StagePaths`
folder, and an earlier stage by name: its JSON output's values
(``{cam_eval[best_threshold]}``) or its output path (``{cam_train}``).

Each stage config is the shipped config re-rooted at the run folder (its
``work_root`` and ``data_root`` prefixes, see
:func:`rpnet_mmseg.pipeline.retarget_options`), with the stage's
``cfg_options``, and ``stage_inputs``: the content sha1 of every earlier
output it reads. It is dumped to ``ROOT/.pipeline/configs/STAGE.py`` and
that file is what runs.

**When a stage runs.** A stage's identity is a record (compared by
:func:`rpnet_mmseg.fileio.record_changes`, as every record of what made an
output) of its kind, its config (flattened), its command, the content of
its inputs, the data it reads and the code that runs it. The inputs are
found, not listed: every earlier output whose path the config or the
command names (a value taken from an earlier JSON is in the config or
command itself). The data: every file or
folder under the run's ``data_root`` that the stage's datasets read (their
``input_files()``: split file, image and mask folders, image-level label
file) or that its command names, and any local weights file it loads
(``load_from``, ``init_cfg.checkpoint``); files by the sha1 of their bytes,
folders by the sha1 of their files' names and bytes (read again only when
their listing changes: :func:`~rpnet_mmseg.pipeline.fingerprint.
folder_digest`). The code: the sha1 of ``rpnet_mmseg``'s source and of the
stage's tool; ``accept_code=True`` (``--accept-code-change``) accepts a
change of code alone for a run. ``ROOT/.pipeline/STAGE.json`` records the
identity when the stage starts and the fingerprint of its outputs when it
ends. On the next run a stage is skipped only if the identity is the same
AND its outputs still match their fingerprint. Otherwise:

- another identity (its config, command, data, code or any input changed,
  each named when the stage is announced, a config entry by its key): the
  old outputs are cleared (a folder: the files its writers listed; a training
  work dir: its checkpoints moved into ``stale_<time>/``), then it runs;
- the same identity, unfinished (killed) or with damaged outputs: the
  damaged files are removed and it runs again, resuming (a training stage
  from its last complete checkpoint, a writer keeping its finished files,
  a ``skip_done`` stage computing only the missing images).

Because identities hold the CONTENT of the inputs, a stage whose rerun
reproduces its outputs byte for byte leaves the stages below it alone;
any other change reruns exactly the stages that read it, directly or not.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import string
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from ..fileio.atomic import save_text_atomic
from ..fileio.provenance import (file_sha1, make_record, producer_identity,
                                 record_changes, unrooter)
from ..fileio.provenance import (STAGE_FILE, _manifests, output_files,
                                 written_files)
from .config_retarget import retarget_options, string_leaves
from .stage_paths import StagePaths
from .fingerprint import (changed_files, fingerprint, listing_sha1,
                          path_digest)
from .process import RunLock, run_stage

__all__ = ['Stage', 'PipelineRunner', 'StageFailedError']

KINDS = ('train', 'test', 'script')
LAUNCHERS = ('none', 'pytorch', 'slurm')


class StageFailedError(RuntimeError):
    """A stage's command failed or its outputs are missing."""


class _Pending(Exception):
    """A dry run cannot plan a stage: an input it reads is not made yet."""


@dataclass
class Stage:
    """One stage of a pipeline config (see the module docstring)."""

    name: str
    kind: str
    config: Optional[str] = None
    work_dir: Optional[str] = None
    checkpoint: Optional[str] = None
    output: Optional[str] = None
    script: Optional[str] = None
    args: List[str] = field(default_factory=list)
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    skip_done: bool = False
    report: Dict[str, str] = field(default_factory=dict)
    distributed: bool = True
    tta: bool = False

    @classmethod
    def from_cfg(cls, name: str, spec: Dict) -> 'Stage':
        """Build a stage from its pipeline-config entry, checking keys."""
        spec = dict(spec)
        known = set(cls.__dataclass_fields__) - {'name'}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f'stage {name!r}: unknown keys {unknown}; '
                             f'known: {sorted(known)}')
        if spec.get('kind') not in KINDS:
            raise ValueError(f'stage {name!r}: kind must be one of {KINDS}, '
                             f'got {spec.get("kind")!r}')
        stage = cls(name=name, **spec)
        need = {'train': ('config', 'work_dir'),
                'test': ('config', 'checkpoint', 'output'),
                'script': ('script', 'output')}[stage.kind]
        missing = [k for k in need if not getattr(stage, k)]
        if missing:
            raise ValueError(f'stage {name!r} ({stage.kind}): missing '
                             f'{missing}')
        if stage.tta and stage.kind != 'test':
            raise ValueError(f'stage {name!r}: tta=True is for test stages '
                             f'(tools/test.py --tta), not {stage.kind!r}')
        return stage


def _typed(text: str) -> Any:
    """A filled template as the number it spells, else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float)) else text


def _final_checkpoint(cfg: Config, work_dir: str) -> str:
    """The checkpoint a training config ends with."""
    train_cfg = cfg.get('train_cfg') or {}
    if train_cfg.get('max_epochs'):
        return osp.join(work_dir, f'epoch_{train_cfg["max_epochs"]}.pth')
    if train_cfg.get('max_iters'):
        return osp.join(work_dir, f'iter_{train_cfg["max_iters"]}.pth')
    raise ValueError(f'{cfg.filename}: train_cfg has neither max_epochs nor '
                     'max_iters; cannot tell its final checkpoint')


def _writer_entries(cfg: Config) -> List[Dict]:
    """The test evaluator entries that write a folder (have output_dir)."""
    evaluator = cfg.get('test_evaluator')
    entries = evaluator if isinstance(evaluator, list) else [evaluator]
    return [e for e in entries if isinstance(e, dict) and 'output_dir' in e]


def _inside(folder: str, name: str) -> bool:
    """Whether ``folder/name`` lies in ``folder`` without passing a link
    (the file itself may be a link: removing it removes the link)."""
    parts = name.replace(os.sep, '/').split('/')
    if osp.isabs(name) or '..' in parts or '' in parts:
        return False
    parent = osp.dirname(osp.join(folder, name))
    return osp.realpath(parent) == osp.normpath(
        osp.join(osp.realpath(folder), *parts[:-1]))


def _metric(metrics: Dict, key: str) -> Optional[float]:
    """``key`` of a metrics dict, with or without a ``Prefix/``."""
    for k, v in metrics.items():
        if k == key or k.split('/')[-1] == key:
            try:
                return float(v)
            except (TypeError, ValueError):
                return None
    return None


class PipelineRunner:
    """Run the stages of a pipeline config (see the module docstring).

    Args:
        cfg (Config): The pipeline config.
        root_dir (str): The repository root (tools and relative paths).
        gpus (int): Processes per stage (``dist_*.sh`` above 1).
            Defaults to 1.
        launcher (str): ``'none'`` / ``'pytorch'`` (one machine, or
            several with torchrun's variables) or ``'slurm'``. Defaults to
            ``'none'`` (``'pytorch'`` when ``gpus`` > 1).
        partition (str, optional): Slurm partition for ``'slurm'``.
        python (str, optional): Interpreter. Defaults to this one.
        accept_code (bool): Reuse a stage whose identity differs from its
            record only by the code (rpnet_mmseg's source or the stage's
            tool), and record the new code. Defaults to False.
    """

    def __init__(self,
                 cfg: Config,
                 root_dir: str,
                 gpus: int = 1,
                 launcher: str = 'none',
                 partition: Optional[str] = None,
                 python: Optional[str] = None,
                 accept_code: bool = False) -> None:
        if launcher not in LAUNCHERS:
            raise ValueError(f'launcher must be one of {LAUNCHERS}')
        if launcher == 'slurm' and not partition:
            raise ValueError('--launcher slurm needs --partition')
        self.cfg = cfg
        self.repo = root_dir
        self.gpus = int(gpus)
        self.launcher = 'pytorch' if (launcher == 'none'
                                      and self.gpus > 1) else launcher
        self.partition = partition
        self.python = python or sys.executable
        self.accept_code = accept_code
        self._digests: Dict[str, str] = {}
        if not cfg.get('work_dir'):
            raise ValueError('a pipeline config needs work_dir')
        self.root = str(cfg.work_dir)
        # Where the run folder is does not change what a stage makes: a
        # moved or copied run folder keeps its identities.
        self._unrooted = unrooter({'<run>': self.root})
        self.data_root = cfg.get('data_root')
        # randomness.seed of training stages whose config sets none
        self.seed = cfg.get('seed', 0)
        self.paths = StagePaths(self.root)
        stages = cfg.get('stages') or {}
        if not stages:
            raise ValueError('a pipeline config needs stages=dict(...)')
        self.stages = [Stage.from_cfg(n, dict(s)) for n, s in stages.items()]
        self.meta_dir = osp.join(self.root, '.pipeline')
        self.times: Dict[str, float] = {}
        self.verdicts: Dict[str, str] = {}
        self._option_inputs: set = set()

    # -- paths ----------------------------------------------------------
    def abs(self, path: str) -> str:
        """A path relative to the repository root, made absolute."""
        return osp.normpath(osp.join(self.repo, path))

    def show(self, path: str) -> str:
        """A path for messages: relative inside the repository."""
        rel = osp.relpath(path, self.repo)
        return path if rel.startswith('..') else rel

    def record_path(self, name: str) -> str:
        """``ROOT/.pipeline/NAME.json``."""
        return osp.join(self.meta_dir, f'{name}.json')

    def read_record(self, name: str) -> Optional[Dict]:
        """A stage's record, or None."""
        path = self.abs(self.record_path(name))
        if not osp.isfile(path):
            return None
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None  # a damaged record: the stage runs again

    def write_record(self, name: str, record: Dict) -> None:
        """Atomically write a stage's record."""
        save_text_atomic(self.abs(self.record_path(name)),
                         json.dumps(record, indent=1, sort_keys=True))

    def config_file(self, name: str) -> str:
        """``ROOT/.pipeline/configs/NAME.py``: the config a stage ran."""
        return osp.join(self.meta_dir, 'configs', f'{name}.py')

    def _context(self, done: Dict[str, Dict]) -> Dict[str, Any]:
        """Names a template may use."""
        ctx: Dict[str, Any] = {'root': self.root,
                               'data_root': self.data_root or ''}
        for attr in dir(StagePaths):
            value = getattr(StagePaths, attr)
            if isinstance(value, property):
                ctx[attr] = getattr(self.paths, attr)
        for name, info in done.items():
            # a JSON output's values, else the output's path
            ctx[name] = info['json'] if 'json' in info else info['output']
        return ctx

    def _format(self, text: str, done: Dict[str, Dict],
                output: Optional[str] = None) -> Tuple[str, set]:
        """Fill a template; return it and the stages whose output it
        names. A value read from a stage's JSON (``{stage[key]}``) is not
        the stage's output: the value itself is in the filled text, so the
        stage's identity holds it, and the rest of that JSON is not read."""
        ctx = self._context(done)
        if output is not None:
            ctx['output'] = output
        fields = [f[1] for f in string.Formatter().parse(text) if f[1]]
        used = {f.split('[')[0].split('.')[0] for f in fields}
        names = [s.name for s in self.stages]
        for u in sorted(used):
            if u in done and done[u].get('pending'):
                raise _Pending(u)
            if u in ctx:
                continue
            if u in names:
                raise ValueError(
                    f'{text!r}: stage {u!r} comes later in `stages`; order '
                    'the stages so that what a stage reads comes first '
                    '(mmengine\'s Config.dump sorts keys: do not regenerate '
                    'a pipeline file with it)')
            raise ValueError(f'{text!r}: unknown template name {u!r} '
                             '(earlier stages, StagePaths folders, root, '
                             'data_root, output)')
        return text.format(**ctx), {f for f in fields if f in done}

    def output_of(self, stage: Stage, cfg: Optional[Config],
                  done: Dict[str, Dict]) -> str:
        """The stage's output path (relative to the repository root)."""
        if stage.kind == 'train':
            return _final_checkpoint(cfg, self.work_dir_of(stage))
        out = stage.output
        if hasattr(self.paths, out) and '{' not in out:
            return getattr(self.paths, out)
        return self._format(out, done)[0]

    def work_dir_of(self, stage: Stage) -> str:
        """A train stage's work dir: a :class:`StagePaths` folder or a
        template of ``{root}`` / ``{data_root}`` / folders."""
        if hasattr(self.paths, stage.work_dir) and '{' not in stage.work_dir:
            return getattr(self.paths, stage.work_dir)
        return self._format(stage.work_dir, {})[0]

    # -- configs --------------------------------------------------------
    def stage_config(self, stage: Stage, output: Optional[str],
                     done: Dict[str, Dict]) -> Optional[Config]:
        """The stage's config, re-rooted at the run folder (not dumped)."""
        if not stage.config:
            return None
        cfg = Config.fromfile(self.abs(stage.config))
        moves = {}
        if cfg.get('work_root'):
            moves[cfg.work_root] = self.root
        if self.data_root and cfg.get('data_root'):
            moves[cfg.data_root] = self.data_root
        options = {}
        for opt in retarget_options(cfg, moves):
            key, value = opt.split('=', 1)
            options[key] = value
        cfg.merge_from_dict(options)
        if stage.cfg_options:
            extra = copy.deepcopy(dict(stage.cfg_options))
            for key, value in extra.items():
                if isinstance(value, str) and '{' in value:
                    filled, used = self._format(value, done, output)
                    extra[key] = _typed(filled)
                    self._option_inputs |= used
            cfg.merge_from_dict(extra)
        if stage.kind == 'train':
            cfg.work_dir = self.work_dir_of(stage)
        elif stage.kind == 'test':
            train = self.stage_named(stage.checkpoint)
            cfg.work_dir = self.work_dir_of(train)
            writers = _writer_entries(cfg)
            if len(writers) != 1:
                raise ValueError(
                    f'stage {stage.name!r}: {stage.config} must have one '
                    f'test_evaluator entry with output_dir, found '
                    f'{len(writers)}')
            writers[0]['output_dir'] = output
            if stage.skip_done:
                cfg.test_dataloader.dataset.skip_done_dir = output
        return cfg

    def stage_named(self, name: str) -> Stage:
        """The stage called ``name``; a ValueError lists the stages."""
        for s in self.stages:
            if s.name == name:
                return s
        raise ValueError(f'no stage named {name!r}; stages: '
                         f'{[s.name for s in self.stages]}')

    def _inputs(self, stage: Stage, cfg: Optional[Config], argv: List[str],
                fmt_used: set, done: Dict[str, Dict]) -> Dict[str, str]:
        """Earlier outputs this stage reads: name -> content sha1."""
        texts = list(argv)
        if cfg is not None:
            cfg_dict = cfg.to_dict()
            if stage.kind == 'script':
                # a tool may read any key (make_relation_labels.py falls
                # back on the top-level cam_dir)
                texts += [v for _, v in string_leaves(cfg_dict)]
            else:
                # mmengine's Runner reads the nested entries (model, data,
                # evaluators, hooks) and load_from; a top-level folder
                # variable of the *_dirs.py bases is only a declaration
                # (its uses are nested), so naming every stage folder there
                # makes no stage an input
                texts += [v for _, v in string_leaves(
                    [v for v in cfg_dict.values()
                     if isinstance(v, (dict, list, tuple))])]
                if isinstance(cfg_dict.get('load_from'), str):
                    texts.append(cfg_dict['load_from'])
        texts = [self.abs(t) for t in texts if t]
        inputs = {}
        for name, info in done.items():
            if not info['output']:  # a dry run's unplanned stage
                continue
            out = self.abs(info['output'])
            if name in fmt_used or name == stage.checkpoint or any(
                    t == out or t.startswith(out + os.sep) for t in texts):
                inputs[name] = info['sha1']
        return inputs

    def _data_inputs(self, cfg: Optional[Config],
                     args: List[str]) -> Dict[str, str]:
        """The data a stage reads: path -> digest (see the module
        docstring)."""
        from ..datasets import config_inputs
        candidates = config_inputs(cfg.to_dict()) if cfg is not None else []
        data_root = self.abs(self.data_root) if self.data_root else None
        for a in args:
            candidates.append(a)
            if data_root:
                candidates.append(osp.join(data_root, a))
        run_root = self.abs(self.root)
        digests = {}
        for cand in candidates:
            path = self.abs(cand)
            inside = (lambda top: top is not None and (
                path == top or path.startswith(top + os.sep)))
            if inside(run_root) or not osp.exists(path) or not (
                    inside(data_root) or path.endswith(('.pth', '.pt'))):
                continue
            if path not in self._digests:  # each path once a run
                self._digests[path] = path_digest(path)
            digests[self.show(path)] = self._digests[path]
        return dict(sorted(digests.items()))

    def _code(self, stage: Stage) -> str:
        """sha1 of rpnet_mmseg's source and the stage's tool(s)."""
        import rpnet_mmseg
        tools = [stage.script] if stage.kind == 'script' else [
            f'tools/{t}.py' for t in ('train', 'test')]
        key = 'code:' + ','.join(tools)
        if key not in self._digests:
            package = osp.dirname(osp.abspath(rpnet_mmseg.__file__))
            files = sorted(
                osp.join(d, n) for d, _, names in os.walk(package)
                for n in names if n.endswith('.py'))
            files += [self.abs(t) for t in tools if osp.isfile(self.abs(t))]
            digest = hashlib.sha1(rpnet_mmseg.__version__.encode())
            for path in files:
                digest.update(f'{osp.relpath(path, package)}\0'
                              f'{file_sha1(path)}\n'.encode())
            self._digests[key] = digest.hexdigest()
        return self._digests[key]

    # -- commands -------------------------------------------------------
    def command(self, stage: Stage, cfg_file: Optional[str], output: str,
                args: List[str], done: Dict[str, Dict]) -> List[str]:
        """The command line of a stage."""
        n = self.gpus if stage.distributed else 1
        if stage.kind == 'script':
            head = [cfg_file] if cfg_file else []
            return [self.python, stage.script, *head, *args]
        if stage.kind == 'train':
            tail = ['--work-dir', self.work_dir_of(stage), '--resume']
            return self._launch('train', [cfg_file], n, tail)
        ckpt = done[stage.checkpoint]['output']
        train = self.stage_named(stage.checkpoint)
        tail = ['--work-dir', self.work_dir_of(train),
                '--out-json', self.metrics_json(stage)]
        if stage.tta:
            tail.append('--tta')
        return self._launch('test', [cfg_file, ckpt], n, tail)

    def _launch(self, tool: str, head: List[str], n: int,
                tail: List[str]) -> List[str]:
        if self.launcher == 'slurm':
            return ['bash', f'tools/slurm_{tool}.sh', self.partition,
                    f'rpnet_{tool}', *head, *tail]
        if n > 1:
            return ['bash', f'tools/dist_{tool}.sh', *head, str(n), *tail]
        return [self.python, f'tools/{tool}.py', *head, *tail]

    def metrics_json(self, stage: Stage) -> str:
        """Where a test stage writes its metrics."""
        return osp.join(self.root, f'{stage.name}.json')

    # -- the run --------------------------------------------------------
    def plan(self, stage: Stage, done: Dict[str, Dict]) -> Dict:
        """Resolve a stage: output, dumped config, command, identity."""
        self._option_inputs: set = set()
        if stage.kind == 'train':
            cfg = self.stage_config(stage, None, done)
            output = self.output_of(stage, cfg, done)
        else:
            output = self.output_of(stage, None, done)
            cfg = self.stage_config(stage, output, done)
        fmt_used: set = set(self._option_inputs)
        args = []
        for a in stage.args:
            filled, used = self._format(str(a), done, output)
            args.append(filled)
            fmt_used |= used
        cfg_file = None
        if cfg is not None:
            if stage.kind == 'train' and self.seed is not None and (
                    cfg.get('randomness') or {}).get('seed') is None:
                # a pipeline is reproducible: a killed and resumed run
                # gives what an uninterrupted one gives
                cfg.merge_from_dict({'randomness.seed': self.seed})
            inputs = self._inputs(stage, cfg, args, fmt_used, done)
            cfg.stage_inputs = dict(sorted(inputs.items()))
            cfg_file = self.config_file(stage.name)
            text = cfg.pretty_text
        else:
            inputs = self._inputs(stage, None, args, fmt_used, done)
            text = ''
        argv = self.command(stage, cfg_file, output, args, done)
        data = self._data_inputs(cfg, args)
        identity = dict(
            producer_identity(make_record(
                stage.name, cfg, data=data, roots={'<run>': self.root})),
            kind=stage.kind, inputs=inputs,
            # the command without the launch (GPUs, launcher, python)
            command=[self._unrooted(a) for a in args], script=stage.script,
            trained_by=stage.checkpoint, skip_done=stage.skip_done,
            code=self._code(stage))
        if stage.tta:
            identity['tta'] = True
        return dict(output=output, cfg=cfg, cfg_file=cfg_file, argv=argv,
                    identity=identity, config_text=text)

    def verdict(self, stage: Stage, plan: Dict) -> Tuple[str, List[str]]:
        """``('done' | 'new' | 'changed' | 'resume' | 'damaged', why)``:
        what changed, or the damaged files."""
        record = self.read_record(stage.name)
        if record is None:
            return 'new', []
        old = record.get('identity')
        if isinstance(old, str):  # a record of rpnet_mmseg 0.1's sha1s
            if not (self.accept_code and record.get('base_identity')
                    == self._sha1_identity(plan)):
                return 'changed', [
                    'record of an older rpnet_mmseg (--accept-code-change '
                    'keeps its outputs if nothing else changed)']
            old = dict(plan['identity'], code=record.get('code'))
        changed = [
            c if not c.startswith('code:') else 'code (rpnet_mmseg or the '
            'tool; --accept-code-change reuses the outputs)'
            for c in record_changes(old, plan['identity'])
            if not (self.accept_code and c.startswith('code:'))
        ]
        if changed:
            return 'changed', changed
        if record.get('state') != 'done':
            return 'resume', []
        bad = changed_files(self.abs(plan['output']),
                            record.get('fingerprint') or {})
        return ('damaged', bad) if bad else ('done', [])

    def _sha1_identity(self, plan: Dict) -> str:
        """The identity as rpnet_mmseg 0.1 recorded it (a sha1 without the
        code), so that ``accept_code`` keeps the outputs of its runs."""
        i = plan['identity']
        data = {p: f'listing:{listing_sha1(self.abs(p))}' if d.startswith(
            'content:') else d for p, d in i['data'].items()}
        what = dict(kind=i['kind'], config=self._unrooted(plan['config_text']),
                    inputs=i['inputs'], data=data, args=i['command'],
                    script=i['script'], checkpoint=i['trained_by'],
                    skip_done=i['skip_done'], **({'tta': True}
                                                 if i.get('tta') else {}))
        text = json.dumps(what, sort_keys=True, default=repr)
        return hashlib.sha1(text.encode('utf-8')).hexdigest()

    def clear(self, stage: Stage, plan: Dict) -> Optional[str]:
        """Take away the outputs of a changed stage; say what was done."""
        out = self.abs(plan['output'])
        if stage.kind == 'train':
            work_dir = osp.dirname(out)
            olds = [n for n in os.listdir(work_dir) if n.endswith('.pth')
                    or n in ('last_checkpoint', '.rpnet_train.json')] \
                if osp.isdir(work_dir) else []
            if not olds:
                return None
            aside = osp.join(work_dir, time.strftime('stale_%Y%m%d_%H%M%S'))
            os.makedirs(aside, exist_ok=True)
            for n in olds:
                os.replace(osp.join(work_dir, n), osp.join(aside, n))
            return f'old checkpoints moved to {self.show(aside)}'
        if osp.isfile(out):
            os.remove(out)
            return f'removed {plan["output"]}'
        if osp.isdir(out):
            return self._clear_folder(out, self.read_record(stage.name) or {})
        return None

    def _clear_folder(self, out: str, recorded: Dict,
                      names: Optional[Sequence[str]] = None) -> str:
        """Delete a stage's files from its output folder (all, or
        ``names``): those its writers listed or its last fingerprint holds.
        Anything else is somebody else's: refused, nothing deleted."""
        own = written_files(out) | set(
            ((recorded.get('fingerprint') or {}).get('files') or {}))
        present = [n for n in output_files(out, '')]
        targets = sorted(set(names) if names is not None else set(present)
                         | own)
        foreign = [n for n in targets
                   if n not in own and osp.exists(osp.join(out, n))]
        if foreign:
            raise StageFailedError(
                f'{out} holds {len(foreign)} file(s) that this pipeline did '
                f'not write: {", ".join(foreign[:5])}; move them out of the '
                'folder and run again')
        outside = [n for n in targets if not _inside(out, n)]
        if outside:
            print(f'  not deleted (outside {self.show(out)} or reached '
                  f'through a link): {", ".join(outside[:5])}', flush=True)
        removed = 0
        for n in targets:
            if n not in outside and osp.isfile(osp.join(out, n)):
                os.remove(osp.join(out, n))
                removed += 1
        if names is None:
            for path in _manifests(out):
                os.remove(path)
            if osp.isfile(osp.join(out, STAGE_FILE)):
                os.remove(osp.join(out, STAGE_FILE))
        return f'removed {removed} file(s) from {self.show(out)}'

    def repair(self, stage: Stage, plan: Dict, bad: List[str]) -> str:
        """Remove the damaged outputs of a finished stage."""
        out = self.abs(plan['output'])
        if osp.isdir(out):
            return self._clear_folder(
                out, self.read_record(stage.name) or {}, bad)
        if osp.isfile(out):
            os.remove(out)
        return f'removed {plan["output"]}'

    def run(self,
            start: Optional[str] = None,
            until: Optional[str] = None,
            dry_run: bool = False,
            checks: Optional[Dict[str, Any]] = None) -> Dict[str, Dict]:
        """Run the pipeline under its lock; return each stage's info.

        Args:
            start (str, optional): First stage to run; the earlier ones
                must be up to date.
            until (str, optional): Last stage to run.
            dry_run (bool): Say what would run; run nothing.
            checks (dict, optional): Stage name -> callable run after that
                stage is up to date (e.g. a health check that raises to
                stop the pipeline before anything reads a dead output).
        """
        names = [s.name for s in self.stages]
        for value in (start, until):
            if value is not None and value not in names:
                raise ValueError(f'no stage {value!r}; stages: {names}')
        first = names.index(start) if start else 0
        last = names.index(until) if until else len(names) - 1
        os.makedirs(self.abs(self.meta_dir), exist_ok=True)
        with RunLock(self.abs(self.root)) as lock:
            done: Dict[str, Dict] = {}
            for i, stage in enumerate(self.stages):
                if i > last:
                    break
                try:
                    plan = self.plan(stage, done)
                except _Pending as e:  # dry run: would run after its input
                    self.verdicts[stage.name] = 'new'
                    print(f'\n[{i + 1}/{len(self.stages)}] {stage.name} '
                          f'({stage.kind}): runs after {e.args[0]}')
                    done[stage.name] = dict(output='', sha1=None,
                                            pending=True)
                    continue
                verdict, bad = self.verdict(stage, plan)
                self.verdicts[stage.name] = verdict
                if i < first and verdict != 'done':
                    raise StageFailedError(
                        f'--from {start}: the earlier stage {stage.name!r} is '
                        f'not up to date ({verdict}); run it first')
                self._announce(i, stage, verdict, bad)
                if verdict == 'done' and not dry_run:
                    self._accept_code(stage, plan)
                if verdict != 'done' and not dry_run:
                    self._execute(stage, plan, verdict, bad, lock)
                if checks and stage.name in checks and not dry_run:
                    checks[stage.name]()
                record = self.read_record(stage.name) or {}
                info = dict(output=plan['output'],
                            sha1=(record.get('fingerprint') or {}).get('sha1'))
                if dry_run and verdict != 'done':
                    # what it would write is unknown until it runs
                    info.update(sha1=f'pending:{stage.name}', pending=True)
                if not info.get('pending') and plan['output'].endswith(
                        '.json') and osp.isfile(
                        self.abs(plan['output'])):
                    with open(self.abs(plan['output'])) as f:
                        info['json'] = json.load(f)
                done[stage.name] = info
        return done

    def _announce(self, i: int, stage: Stage, verdict: str,
                  bad: List[str]) -> None:
        what = {
            'done': 'up to date, skipped',
            'new': 'runs',
            'resume': 'resumes (it did not finish)',
            'changed': 'runs again',
            'damaged': f'repairs {len(bad)} damaged output(s)'
        }[verdict]
        print(f'\n[{i + 1}/{len(self.stages)}] {stage.name} ({stage.kind}): '
              f'{what}', flush=True)
        if verdict == 'changed':
            print(f'  {stage.name}  changed  {", ".join(bad)}', flush=True)

    def _accept_code(self, stage: Stage, plan: Dict) -> None:
        """Record the new code of a stage reused by ``accept_code``."""
        record = self.read_record(stage.name) or {}
        if record.get('identity') != plan['identity']:
            record['identity'] = plan['identity']
            self.write_record(stage.name, record)
            print('  code changed; outputs kept (--accept-code-change)',
                  flush=True)

    def _execute(self, stage: Stage, plan: Dict, verdict: str,
                 bad: List[str], lock: RunLock) -> None:
        """Clear or repair, run the command, fingerprint the outputs."""
        if verdict == 'changed':
            note = self.clear(stage, plan)
            if note:
                print(f'  {note}', flush=True)
        elif verdict == 'damaged':
            shown = ', '.join(bad[:5]) + (', ...' if len(bad) > 5 else '')
            print(f'  damaged: {shown}; {self.repair(stage, plan, bad)}',
                  flush=True)
        if plan['cfg'] is not None:
            path = self.abs(plan['cfg_file'])
            os.makedirs(osp.dirname(path), exist_ok=True)
            save_text_atomic(path, plan['config_text'])
        record = dict(stage=stage.name, identity=plan['identity'],
                      state='running', output=plan['output'],
                      started=time.strftime('%Y-%m-%dT%H:%M:%S'))
        self.write_record(stage.name, record)
        print('  $ ' + ' '.join(plan['argv']), flush=True)
        start = time.time()
        # dist_*.sh / slurm_*.sh start $PYTHON (default: this interpreter)
        env = dict(os.environ)
        env.setdefault('PYTHON', self.python)
        if self.launcher == 'slurm':  # slurm_*.sh read the task counts here
            env.setdefault('GPUS', str(self.gpus))
            env.setdefault('GPUS_PER_NODE', str(min(self.gpus, 8)))
        rc = run_stage(plan['argv'], cwd=self.repo, env=env, lock=lock)
        seconds = time.time() - start
        if rc != 0:
            raise StageFailedError(
                f'stage {stage.name!r} failed (exit status {rc}) after '
                f'{seconds:.0f} s; its log is above. Run the same command '
                'again to resume it.')
        out = self.abs(plan['output'])
        if not osp.exists(out):
            raise StageFailedError(
                f'stage {stage.name!r} finished without its output '
                f'{plan["output"]}')
        print(f'  fingerprinting {plan["output"]}', flush=True)
        record.update(state='done', seconds=round(seconds, 1),
                      finished=time.strftime('%Y-%m-%dT%H:%M:%S'),
                      fingerprint=fingerprint(out))
        self.write_record(stage.name, record)
        self.times[stage.name] = seconds
        print(f'  {stage.name}: {seconds:.0f} s', flush=True)

    # -- the table ------------------------------------------------------
    def output(self, name: str) -> str:
        """What a finished stage made, as its record says (a folder, a
        JSON report or a training run's final checkpoint).

        Raises:
            StageFailedError: If the stage has not finished.
        """
        record = self.read_record(name) or {}
        if record.get('state') != 'done':
            raise StageFailedError(f'stage {name!r} has not finished')
        return record['output']

    def json_of(self, name: str) -> Dict:
        """The JSON a finished stage reported: a script's JSON output, a
        test stage's metrics."""
        stage = self.stage_named(name)
        path = self.metrics_json(stage) if stage.kind == 'test' \
            else self.output(name)
        with open(self.abs(path)) as f:
            return json.load(f)

    def results(self) -> List[Tuple[str, str, Optional[float]]]:
        """``(stage, column, value)`` of every reported metric."""
        rows = []
        for stage in self.stages:
            for column, key in stage.report.items():
                try:
                    value = _metric(self.json_of(stage.name), key)
                except (StageFailedError, OSError, ValueError):
                    value = None
                rows.append((stage.name, column, value))
        return rows

    def table(self) -> str:
        """The final table: verdict, time and metrics of every stage."""
        lines = [f'{"stage":<18} {"this run":<12} {"time (s)":>9}']
        for stage in self.stages:
            record = self.read_record(stage.name) or {}
            secs = self.times.get(stage.name, record.get('seconds'))
            shown = f'{secs:9.0f}' if secs is not None else f'{"-":>9}'
            lines.append(f'{stage.name:<18} '
                         f'{self.verdicts.get(stage.name, "-"):<12} {shown}')
        metrics = self.results()
        if metrics:
            lines.append('')
            lines.append(f'{"mIoU (%)":<18} {"value":>8}   stage')
            for name, column, value in metrics:
                shown = f'{value:8.2f}' if value is not None else \
                    '       -'
                lines.append(f'{column:<18} {shown}   {name}')
        return '\n'.join(lines)


def load_pipeline(path: str, options: Optional[Dict] = None,
                  work_dir: Optional[str] = None,
                  data_root: Optional[str] = None) -> Config:
    """Read a pipeline config and apply command-line overrides."""
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    if work_dir:
        cfg.work_dir = work_dir
    if data_root:
        cfg.data_root = data_root
    return cfg
