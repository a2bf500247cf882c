"""Convert IRN-format pickled ``.npy`` files to rpnet_mmseg's formats.

IRN's ``make_cam.py`` writes one ``NAME.npy`` per image holding a pickled
dict (``keys``, ``cam``, ``high_res``) and IRN ships ``cls_labels.npy``, a
pickled dict ``{NAME: multi-hot}``. rpnet_mmseg reads both as they are,
through its restricted unpickler; this tool rewrites them once in the
formats without pickle (``docs/en/stage_files.md``):

- a folder of CAM files -> ``OUT/NAME.npz`` (``keys``, ``cam``,
  ``high_res``) for every ``NAME.npy`` in it;
- a label file -> ``OUT`` (default: the same path ending in ``.npz``)
  with ``names`` and ``labels``; IRN's integer VOC keys (``2007000032``)
  become names (``2007_000032``).

Every file is read by :func:`rpnet_mmseg.fileio.load_cam` /
:func:`rpnet_mmseg.fileio.load_cls_labels`, so a file whose pickle names
anything but numpy arrays, dtypes, dicts, str, int, float (and IRN's CPU
tensors) is refused without running it, and reported. Outputs are written
atomically; an existing ``NAME.npz`` is kept (an interrupted run resumes)
unless ``--overwrite``. The ``.npy`` files are left in place.

Usage:
    python tools/dataset_converters/convert_irn_files.py IRN_CAM_DIR \\
        [-o OUT_DIR] [--overwrite]
    python tools/dataset_converters/convert_irn_files.py \\
        voc12/cls_labels.npy [-o data/VOC2012/cls_labels.npz]
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import track_iter_progress

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from rpnet_mmseg.fileio import (CAM_SUFFIX, LEGACY_CAM_SUFFIX,  # noqa: E402
                                load_cam, load_cls_labels, save_cam,
                                save_cls_labels)

__all__ = ['convert_cam_dir', 'convert_cls_labels', 'main']


def convert_cam_dir(src_dir: str,
                    out_dir: Optional[str] = None,
                    overwrite: bool = False) -> Tuple[int, int, List[str]]:
    """Convert every ``NAME.npy`` CAM file of a folder to ``NAME.npz``.

    Args:
        src_dir (str): Folder of IRN's CAM files (local disk).
        out_dir (str, optional): Output folder. Defaults to ``src_dir``.
        overwrite (bool): Rewrite outputs that exist. Defaults to False.

    Returns:
        tuple: ``(written, kept, failures)``, the counts of files written
        and of existing outputs kept, and one message per file that could
        not be converted (each names the file).
    """
    out_dir = out_dir or src_dir
    if not osp.isdir(src_dir):
        raise FileNotFoundError(f'CAM folder not found: {src_dir}')
    names = sorted(
        entry[:-len(LEGACY_CAM_SUFFIX)] for entry in os.listdir(src_dir)
        if entry.endswith(LEGACY_CAM_SUFFIX) and not entry.startswith('.'))
    if not names:
        raise FileNotFoundError(
            f'{src_dir} holds no {LEGACY_CAM_SUFFIX} CAM file')
    os.makedirs(out_dir, exist_ok=True)
    written, kept, failures = 0, 0, []
    for name in track_iter_progress(names):
        out_path = osp.join(out_dir, name + CAM_SUFFIX)
        if osp.exists(out_path) and not overwrite:
            kept += 1
            continue
        src_path = osp.join(src_dir, name + LEGACY_CAM_SUFFIX)
        try:
            save_cam(out_path, load_cam(src_path))
        except Exception as e:  # refused, corrupt or inconsistent
            failures.append(f'{type(e).__name__}: {e}')
            continue
        written += 1
    return written, kept, failures


def convert_cls_labels(src: str,
                       out: Optional[str] = None,
                       overwrite: bool = False) -> str:
    """Convert IRN's ``cls_labels.npy`` to the ``.npz`` label file.

    Args:
        src (str): IRN's label file.
        out (str, optional): Output path. Defaults to ``src`` with the
            suffix ``.npz``.
        overwrite (bool): Rewrite ``out`` if it exists. Defaults to False.

    Returns:
        str: The output path.

    Raises:
        FileExistsError: If ``out`` exists and ``overwrite`` is False.
        RefusedGlobalError: If ``src`` is not an IRN-format file.
    """
    out = out or osp.splitext(src)[0] + '.npz'
    if osp.abspath(out) == osp.abspath(src):
        raise ValueError(f'the output {out} would replace its input')
    if osp.exists(out) and not overwrite:
        raise FileExistsError(f'{out} exists; pass --overwrite to replace it')
    if not osp.isfile(src):
        raise FileNotFoundError(f'label file not found: {src}')
    labels = load_cls_labels(src)
    save_cls_labels(out, labels)
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Convert IRN's pickled .npy files (a CAM folder or "
        'cls_labels.npy) to the .npz formats without pickle.')
    parser.add_argument(
        'src', help="IRN's CAM folder, or IRN's cls_labels.npy file")
    parser.add_argument(
        '-o', '--out',
        help='output folder (CAMs; default: SRC) or file (labels; default: '
        'SRC with the suffix .npz)')
    parser.add_argument(
        '--overwrite', action='store_true', help='rewrite existing outputs')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; return the exit status (1 if a file failed)."""
    args = parse_args(argv)
    if osp.isdir(args.src):
        written, kept, failures = convert_cam_dir(args.src, args.out,
                                                  args.overwrite)
        print(f'\n{written} CAM files written, {kept} kept, '
              f'{len(failures)} failed, in {args.out or args.src}')
        for message in failures:
            print(f'  {message}')
        return 1 if failures else 0
    labels_out = convert_cls_labels(args.src, args.out, args.overwrite)
    print(f'wrote {labels_out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
