"""Check the data a config names before a long run; list every problem.

For each split the config uses (the datasets of ``train_dataloader``,
``val_dataloader`` and ``test_dataloader``) the tool builds the dataset from
the config (mmengine ``Config`` + mmseg's ``DATASETS``), lets it load its
annotations with its own checks, and then checks every image of its split
(a VOC-layout dataset's public ``image_names()``; the loaded images of
any other dataset):

- the image exists and decodes;
- the dataset's own ``check()`` of its annotations: e.g. the label vector
  exists and has the length the classes give (``ImageLevelSegDataset``);
- its mask / pseudo-label (the dataset's ``label_source()``: where it has
  one; required where the dataset requires it) holds only class ids
  ``0..C-1`` and 255 and has the image's size;
- its CAM file exists in every CAM folder the config reads (``cam_dir`` of
  a transform such as ``LoadCAMFromFile``, of a metric such as
  ``CAMIoUMetric``, or of ``relation_label_cfg``); ``--load-cams`` also
  loads and validates each file.

It prints each split's image count and images per class, then every
problem, and exits with status 1 if there was any (0 otherwise). Output
folders of writers (``CAMWriter``, ``LabelPNGWriter``) are reported, not
checked: they are what the run produces.

Usage:
    python tools/check_dataset.py CONFIG [--cfg-options k=v ...]
        [--data-root DIR] [--splits train test] [--nproc 4] [--load-cams]
        [--max-list 20]
"""
import argparse
import io
import os.path as osp
import sys
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine import fileio
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.utils import (import_modules_from_strings,
                            track_parallel_progress, track_progress)
from PIL import Image

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import rpnet_mmseg  # noqa: E402,F401  (registers the datasets)
from rpnet_mmseg.datasets import (  # noqa: E402
    VOCLayoutSegDataset, build_lazy, leaf_datasets)
from rpnet_mmseg.fileio import cam_path, load_cam, read_mask  # noqa: E402
from rpnet_mmseg.pipeline import key_entries  # noqa: E402
from rpnet_mmseg.utils import config_parser  # noqa: E402

SPLITS = ('train', 'val', 'test')
IGNORE_INDEX = 255


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = config_parser(
        'Validate the data a config names (every split)',
        cfg_options_help='override config entries, e.g. '
        'data_root=data/msrc_voc')
    parser.add_argument(
        '--data-root',
        help="set every checked dataset's data_root (a top-level "
        '`data_root=` in --cfg-options does not reach the datasets, whose '
        'configs copied the value when the file was parsed)')
    parser.add_argument(
        '--splits', nargs='+', choices=SPLITS, default=list(SPLITS),
        help='splits to check (those the config uses)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes')
    parser.add_argument(
        '--load-cams', action='store_true',
        help='also load and validate every CAM file (slower)')
    parser.add_argument(
        '--max-list', type=int, default=20,
        help='problems listed per split and kind (0: all)')
    return parser.parse_args(argv)


def split_of(path: str, used: Sequence[str]) -> str:
    """The split a config entry belongs to, from its dotted path."""
    head = path.split('.')[0]
    for split in SPLITS:
        if head in (f'{split}_dataloader', f'{split}_evaluator'):
            return split
    # Elsewhere (e.g. relation_label_cfg): the CAMs of the training images.
    return 'train' if 'train' in used else used[0]


def cam_inputs(cfg: Config, used: Sequence[str]) -> Dict[str, List[Tuple]]:
    """CAM folders the config reads, per split: ``[(dir, where), ...]``.

    A ``cam_dir`` counts when it belongs to a module config (a dict with a
    ``type``: a transform, a metric) of a dataloader or an evaluator, or
    lies under ``relation_label_cfg``; top-level variables (``cam_dir``,
    ``test_pipeline`` ...) are only names that those entries copy.
    """
    found: Dict[str, List[Tuple]] = defaultdict(list)
    entries = tuple(f'{s}_{k}' for s in SPLITS
                    for k in ('dataloader', 'evaluator'))
    for path, value, owner in key_entries(cfg.to_dict(), 'cam_dir'):
        if not value or not isinstance(value, str):
            continue
        if 'relation_label_cfg' not in path and not (
                'type' in owner and path.split('.')[0] in entries):
            continue
        if str(owner.get('type', '')).endswith('Writer'):
            continue
        split = split_of(path, used)
        if value not in [d for d, _ in found[split]]:
            found[split].append((value, path))
    return found


def writer_outputs(cfg: Config) -> List[Tuple[str, str]]:
    """``(output_dir, where)`` of the writers among the evaluators."""
    out = []
    for path, value, owner in key_entries(cfg.to_dict(), 'output_dir'):
        if str(owner.get('type', '')).endswith('Writer') and value:
            out.append((value, path))
    return out


def seg_source(dataset: Any) -> Tuple[Optional[str], bool]:
    """``(folder of masks / pseudo-labels, whether each image needs one)``."""
    if isinstance(dataset, VOCLayoutSegDataset):
        return dataset.label_source()
    return dataset.data_prefix.get('seg_map_path'), True


def check_image(task: tuple) -> Tuple[str, List[Tuple[str, str]], Any]:
    """Check one image, its mask and its CAM files (runs in a worker).

    Args:
        task (tuple): ``(name, img_path, seg_path, seg_required,
            num_classes, cam_dirs, load_cams)``.

    Returns:
        tuple: ``(name, [(kind, message), ...], classes in the mask or
        None)``.
    """
    (name, img_path, seg_path, seg_required, num_classes, cam_dirs,
     load_cams) = task
    problems, shape, classes = [], None, None
    if not fileio.exists(img_path):
        problems.append(('missing image', img_path))
    else:
        try:
            with Image.open(io.BytesIO(fileio.get(img_path))) as img:
                img.load()
                shape = (img.height, img.width)
        except Exception as e:
            problems.append(('image does not decode', f'{img_path} ({e})'))
    if seg_path is not None:
        if not fileio.exists(seg_path):
            if seg_required:
                problems.append(('missing mask / pseudo-label', seg_path))
        else:
            try:
                mask = read_mask(seg_path)
                values = np.unique(mask)
                bad = values[((values < 0) | (values >= num_classes))
                             & (values != IGNORE_INDEX)]
                if bad.size:
                    problems.append(
                        ('mask has unknown class ids',
                         f'{seg_path}: values {bad.tolist()} (classes are '
                         f'0..{num_classes - 1}, {IGNORE_INDEX} = ignore)'))
                if shape is not None and mask.shape != shape:
                    problems.append(
                        ('mask size differs from image',
                         f'{seg_path} is {mask.shape[1]}x{mask.shape[0]}, '
                         f'{img_path} is {shape[1]}x{shape[0]}'))
                classes = values[(values > 0) & (values < num_classes)]
            except Exception as e:
                problems.append(('mask does not decode', f'{seg_path} ({e})'))
    for cam_dir in cam_dirs:
        path = cam_path(cam_dir, name)
        if not fileio.exists(path):
            problems.append(('missing CAM file', path))
        elif load_cams:
            try:
                load_cam(path, image_shape=shape)
            except Exception as e:
                problems.append(('bad CAM file', str(e)))
    return name, problems, classes


class SplitReport:
    """What one split's check found."""

    def __init__(self, split: str) -> None:
        self.split = split
        self.problems: Dict[str, List[str]] = OrderedDict()
        self.lines: List[str] = []

    def add(self, kind: str, message: str) -> None:
        self.problems.setdefault(kind, []).append(message)

    @property
    def num_problems(self) -> int:
        return sum(len(v) for v in self.problems.values())


def check_dataset(ds_cfg: dict, split: str, cam_dirs: Sequence[str],
                  nproc: int, load_cams: bool) -> SplitReport:
    """Check one dataset config; see the module docstring."""
    report = SplitReport(split)
    try:
        dataset = build_lazy(ds_cfg)
    except Exception as e:
        report.add('dataset cannot be built', f'{type(e).__name__}: {e}')
        return report
    classes = list(dataset.metainfo.get('classes') or ())
    num_classes = len(classes)
    # 1. The dataset's own loading, with its own checks.
    try:
        dataset.full_init()
        loaded = len(dataset)
    except Exception as e:
        report.add('dataset refuses to load', f'{type(e).__name__}: {e}')
        loaded = None
    # 2. Every name of the split.
    if isinstance(dataset, VOCLayoutSegDataset):
        try:
            names = dataset.image_names()
        except Exception as e:
            report.add('split file', str(e))
            return report
    elif loaded is not None:
        names = [
            dataset.get_data_info(i).get('img_id') or osp.splitext(
                osp.basename(dataset.get_data_info(i)['img_path']))[0]
            for i in range(loaded)
        ]
    else:
        return report
    labels = check_labels(dataset, names, report)
    seg_dir, seg_required = seg_source(dataset)
    if seg_dir and not fileio.isdir(seg_dir) and seg_required:
        report.add('missing mask / pseudo-label folder', seg_dir)
        seg_dir = None
    for cam_dir in cam_dirs:
        if not fileio.isdir(cam_dir):
            report.add('missing CAM folder', cam_dir)
    cam_dirs = [d for d in cam_dirs if fileio.isdir(d)]
    # Names the dataset skips (no positive class) need no CAM file.
    tasks = [(name, dataset.image_file(name),
              osp.join(seg_dir, name + dataset.seg_map_suffix)
              if seg_dir else None, seg_required, num_classes,
              cam_dirs if labels.get(name) is None or labels[name].any()
              else [], load_cams) for name in names]
    if nproc > 1:
        results = track_parallel_progress(check_image, tasks, nproc)
    else:
        results = track_progress(check_image, tasks)
    mask_classes = {}
    for name, problems, present in results:
        for kind, message in problems:
            report.add(kind, message)
        if present is not None:
            mask_classes[name] = present
    summarize(report, dataset, names, loaded, labels, mask_classes, seg_dir,
              cam_dirs, classes)
    return report


def check_labels(dataset: Any, names: Sequence[str],
                 report: SplitReport) -> Dict[str, np.ndarray]:
    """The dataset's own check of ``names``; their image-level labels."""
    if not isinstance(dataset, VOCLayoutSegDataset):
        return {}
    for kind, message in dataset.check(names):
        report.add(kind, message)
    try:
        return dataset.image_labels(names)
    except Exception:  # an unreadable label file, which check() reported
        return {}


def summarize(report: SplitReport, dataset: Any, names: Sequence[str],
              loaded: Optional[int], labels: Dict[str, np.ndarray],
              mask_classes: Dict[str, np.ndarray], seg_dir: Optional[str],
              cam_dirs: Sequence[str], classes: Sequence[str]) -> None:
    """Fill ``report.lines``: sizes, masks, per-class image counts."""
    lines = report.lines
    lines.append(f'{len(names)} images listed in {dataset.ann_file}; the '
                 f'dataset loads {loaded if loaded is not None else "none"}'
                 f' ({type(dataset).__name__}, {len(classes)} classes)')
    if labels:
        empty = [n for n, v in labels.items() if not v.any()]
        if empty:
            lines.append(f'{len(empty)} image(s) have no positive class and '
                         f'are skipped by the dataset, e.g. {empty[:5]}')
    if seg_dir:
        lines.append(f'masks / label maps in {seg_dir}: {len(mask_classes)}'
                     f' of {len(names)}')
    for cam_dir in cam_dirs:
        lines.append(f'CAM files read from {cam_dir}')
    counts = np.zeros(max(len(classes) - 1, 0), dtype=np.int64)
    if labels:
        source = 'label vectors'
        for vec in labels.values():
            counts[:len(vec)] += vec[:len(counts)]
    else:
        source = 'masks'
        for present in mask_classes.values():
            counts[present - 1] += 1
    if not labels and not mask_classes:
        lines.append('images per class: unknown (no label vector or label '
                     'map could be read)')
    elif len(counts):
        lines.append(f'images per class ({source}): ' + ', '.join(
            f'{c} {int(n)}' for c, n in zip(classes[1:], counts)))


def print_problems(reports: Sequence[SplitReport], max_list: int) -> int:
    """Print every problem (``max_list`` per kind); return their number."""
    total = sum(r.num_problems for r in reports)
    if not total:
        print('\nno problems found')
        return 0
    print(f'\n{total} problem(s):')
    for report in reports:
        for kind, messages in report.problems.items():
            print(f'[{report.split}] {kind} ({len(messages)}):')
            shown = messages if max_list <= 0 else messages[:max_list]
            for message in shown:
                print(f'    {message}')
            if len(shown) < len(messages):
                print(f'    ... and {len(messages) - len(shown)} more '
                      '(--max-list 0 lists all)')
    return total


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the checks; return the exit status."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    used = [
        s for s in args.splits
        if isinstance(cfg.get(f'{s}_dataloader'), (dict, ConfigDict))
        and cfg.get(f'{s}_dataloader').get('dataset')
    ]
    if not used:
        print(f'{args.config} has no dataloader for {args.splits}')
        return 1
    cams = cam_inputs(cfg, used)
    reports = []
    for split in used:
        ds_cfgs = leaf_datasets(cfg.get(f'{split}_dataloader')['dataset'])
        for i, ds_cfg in enumerate(ds_cfgs):
            if args.data_root is not None:
                ds_cfg['data_root'] = args.data_root
            label = split if len(ds_cfgs) == 1 else f'{split}[{i}]'
            print(f'== {label}')
            report = check_dataset(ds_cfg, label,
                                   [d for d, _ in cams.get(split, [])],
                                   args.nproc, args.load_cams)
            for line in report.lines:
                print(f'   {line}')
            reports.append(report)
    for split, dirs in cams.items():
        for cam_dir, where in dirs:
            print(f'CAM folder {cam_dir} ({where}) checked against {split}')
    for out_dir, where in writer_outputs(cfg):
        done = len(list(fileio.list_dir_or_file(
            out_dir, list_dir=False))) if fileio.isdir(out_dir) else 0
        print(f'output of {where}: {out_dir} ({done} files so far; '
              'written by the run, not checked)')
    return 1 if print_problems(reports, args.max_list) else 0


if __name__ == '__main__':
    sys.exit(main())
