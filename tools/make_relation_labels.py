"""Write IRN's relation labels of a split from its CAMs (IRN stage, step 1).

Reads ``relation_label_cfg`` from a config (see
``configs/_base_/refine/relation_labels.py``)::

    relation_label_cfg = dict(
        data_root='data/msrc_voc',
        ann_file='ImageSets/Segmentation/train.txt',
        img_dir='JPEGImages', img_suffix='.jpg',
        cls_label_file='cls_labels.npz',
        cam_dir=..., out_dir=...,      # default: the config's top-level
                                       # cam_dir / relation_label_dir
        fg_thresh=0.30, bg_thresh=0.05,
        crf=dict(num_iters=10, gt_prob=0.7, gaussian_sxy=3,
                 gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=5,
                 bilateral_compat=10),
        nproc=2, on_stale='error')

and writes one ``NAME.png`` per image (0 background, class id = key + 1,
255 unsure), atomically; a re-run skips the finished images.

Example::

    python tools/make_relation_labels.py \\
        configs/irn/irn_effnetlite0_1xb8-3ep_msrc-192x192.py \\
        --cfg-options relation_label_cfg.nproc=2
"""
import argparse
import sys
import time
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log

from rpnet_mmseg.refine import write_relation_labels
from rpnet_mmseg.utils import config_parser

# Keys of relation_label_cfg that write_relation_labels takes.
_KEYS = ('data_root', 'ann_file', 'cam_dir', 'out_dir', 'img_dir',
         'img_suffix', 'cls_label_file', 'fg_thresh', 'bg_thresh', 'crf',
         'ignore_index', 'nproc', 'on_stale', 'palette')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = config_parser(
        'Relation labels (confident fg / bg / 255) from CAMs by IRN\'s '
        'recipe, one PNG per image of a split',
        config_help='config with relation_label_cfg',
        cfg_options_help='override config entries, e.g. '
        'relation_label_cfg.nproc=4')
    return parser.parse_args(argv)


def relation_label_kwargs(cfg: Config) -> Dict:
    """Arguments of :func:`write_relation_labels` from a config.

    ``cam_dir`` and ``out_dir`` default to the config's top-level
    ``cam_dir`` and ``relation_label_dir`` (the stage folders of
    ``configs/_base_/pipeline/``).

    Raises:
        KeyError: If the config has no ``relation_label_cfg``, it holds an
            unknown key, or a required key has no value (names the key).
    """
    if 'relation_label_cfg' not in cfg:
        raise KeyError(f'{cfg.filename}: no relation_label_cfg (inherit '
                       "'configs/_base_/refine/relation_labels.py')")
    kwargs = dict(cfg.relation_label_cfg)
    unknown = sorted(set(kwargs) - set(_KEYS))
    if unknown:
        raise KeyError(f'relation_label_cfg: unknown key(s) {unknown}; '
                       f'known: {list(_KEYS)}')
    if kwargs.get('cam_dir') is None:
        kwargs['cam_dir'] = cfg.get('cam_dir')
    if kwargs.get('out_dir') is None:
        kwargs['out_dir'] = cfg.get('relation_label_dir')
    for key, fallback in (('data_root', None), ('ann_file', None),
                          ('cam_dir', 'cam_dir'),
                          ('out_dir', 'relation_label_dir')):
        if not kwargs.get(key):
            hint = f' or a top-level {fallback}' if fallback else ''
            raise KeyError(f'relation_label_cfg.{key} is not set{hint}')
    if isinstance(kwargs.get('crf'), dict):
        kwargs['crf'] = dict(kwargs['crf'])
    return kwargs


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    """Run the tool; returns the counts of :func:`write_relation_labels`."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    kwargs = relation_label_kwargs(cfg)
    print_log(
        f'relation labels: {kwargs["cam_dir"]} -> {kwargs["out_dir"]} '
        f'({kwargs.get("nproc", 1)} process(es))',
        logger='current')
    start = time.time()
    counts = write_relation_labels(**kwargs)
    print_log(
        f'relation labels: {counts["written"]} written, '
        f'{counts["skipped"]} already done, {counts["total"]} in the split '
        f'({time.time() - start:.1f} s) in {kwargs["out_dir"]}',
        logger='current')
    return counts


if __name__ == '__main__':
    main(sys.argv[1:])
