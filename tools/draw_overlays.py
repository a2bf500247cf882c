"""Pseudo-label overlays: image | CAMs | relation label | label | mask.

The folders and class names come from the IRN config (the same one that
``tools/test.py`` wrote the pseudo-labels with); each can be overridden.

Example::

    python tools/draw_overlays.py \\
        configs/irn/irn_effnetlite0_1xb8-3ep_msrc-192x192.py \\
        --split ImageSets/Segmentation/train_dev.txt --num 8
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmengine.config import Config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402

import rpnet_mmseg  # noqa: E402,F401  (registers the datasets)
from rpnet_mmseg.datasets import build_lazy  # noqa: E402
from rpnet_mmseg.fileio import voc_colormap  # noqa: E402
from rpnet_mmseg.utils import config_parser  # noqa: E402
from rpnet_mmseg.visualization import save_label_overlays  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = config_parser(
        'Pseudo-label overlays of an IRN config\'s folders', 'IRN config')
    parser.add_argument(
        '--out-dir',
        help='where the PNGs go (default: the '
        "config's pseudo_label_overlay_dir)")
    parser.add_argument(
        '--label-dir',
        help='pseudo-label PNGs (default: '
        "the config's LabelPNGWriter output_dir)")
    parser.add_argument(
        '--cam-dir',
        help='CAM files (default: the test '
        "pipeline's LoadCAMFromFile cam_dir)")
    parser.add_argument(
        '--relation-label-dir',
        help="relation labels (default: the training set's label folder)")
    parser.add_argument(
        '--no-cams', action='store_true', help='leave out the CAM panels')
    parser.add_argument(
        '--no-relation-labels', action='store_true',
        help='leave out the relation-label panel')
    parser.add_argument(
        '--split',
        help='image list relative to data_root (default: the test split)')
    parser.add_argument(
        '--num', type=int, default=8, help='images to draw (0: all)')
    return parser.parse_args(argv)


def _find(items: Sequence[dict], type_name: str) -> Optional[dict]:
    """The first config dict of ``type_name`` in a list (or a dict)."""
    if isinstance(items, dict):
        items = [items]
    for item in items or []:
        if item.get('type') == type_name:
            return item
    return None


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    """Draw the overlays; return the paths written."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    test_set = dict(cfg.test_dataloader.dataset)
    if args.split:
        test_set['ann_file'] = args.split
    # the dataset's own reading: its classes (a folder's come from its
    # files), its split, its image and mask folders
    dataset = build_lazy(test_set)
    classes = list(dataset.metainfo.get('classes') or ())
    if not classes:
        raise ValueError(f'{args.config}: test_dataloader.dataset has no '
                         'classes')
    palette = dataset.metainfo.get('palette') or voc_colormap(len(classes))
    label_dir = args.label_dir
    if label_dir is None:
        writer = _find(cfg.get('test_evaluator'), 'LabelPNGWriter')
        if writer is None:
            raise ValueError(f'{args.config} has no LabelPNGWriter in '
                             'test_evaluator: pass --label-dir')
        label_dir = writer['output_dir']
    cam_dir = None
    if not args.no_cams:
        cam_dir = args.cam_dir
        if cam_dir is None:
            loader = _find(test_set.get('pipeline'), 'LoadCAMFromFile')
            cam_dir = loader['cam_dir'] if loader else None
    relation_dir = None
    if not args.no_relation_labels:
        relation_dir = args.relation_label_dir or cfg.train_dataloader.get(
            'dataset', {}).get('pseudo_label_dir')
    out_dir = args.out_dir or cfg.get('pseudo_label_overlay_dir') or \
        osp.join(cfg.get('work_dir', 'work_dirs'), 'pseudo_label_overlays')
    prefix = dataset.data_prefix
    os.makedirs(out_dir, exist_ok=True)  # the stage's output, even if empty
    written = save_label_overlays(
        label_dir,
        '',
        dataset.image_names(),
        out_dir,
        classes,
        palette,
        cam_dir=cam_dir,
        relation_label_dir=relation_dir,
        max_images=args.num or None,
        img_dir=prefix.get('img_path', ''),
        img_suffix=dataset.img_suffix,
        mask_dir=prefix.get('seg_map_path') or '',
        mask_suffix=dataset.seg_map_suffix)
    print_log(
        f'{len(written)} overlays written to {out_dir}', logger='current')
    return written


if __name__ == '__main__':
    main()
