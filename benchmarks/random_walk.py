"""IRN's random walk at VOC size: the sparse walk against IRN's dense walk.

A 500 x 375 image (PASCAL VOC's typical size): its stride-4 grid is
125 x 94 = 11,750 pixels; radius 5 (34 directions), beta 10, 2^8 steps, and
by default CAMs of all 20 foreground classes of VOC's 21 (the worst case for
the sparse walk, whose cost grows with the number of CAMs; the dense walk's
does not). The boundary map (thin ridges of high probability between random
regions, low noise elsewhere) and the CAMs (a few Gaussian blobs per class,
each map divided by its max) are random but seeded.

Each walk runs in a fresh process (so that neither inherits the other's
allocator state) with the same number of torch threads, timed around the
call alone (affinities, transition weights and the walk: everything from the
boundary map and the CAMs to the walked CAMs). Peak memory is the growth of
the process's resident set during the call: the kernel's peak-RSS counter
(VmHWM) is reset just before it (``/proc/self/clear_refs``) and read after
it, minus the resident set before it; this counts every byte the call made
the process touch (tensors, allocator overhead, BLAS buffers), not only
torch tensors. Labels: IRN's pseudo-label steps (upsample x4, crop, divide
by the max, background 0.25, argmax) on both walks, compared pixel by pixel.

The dense walk squares an 11,750^2 matrix 8 times: it takes minutes. The
last line reads, e.g.::

    sparse vs dense: speed 412.3x, peak memory 150.2x, identical labels 99.91%

Usage:
    nice -n 10 python benchmarks/random_walk.py [--threads 1]
        [--num-classes 21] [--method chebyshev] [--seed 0] [--sparse-only]
"""
import argparse
import math
import multiprocessing as mp
import os.path as osp
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from rpnet_mmseg.refine import (PathIndex, dense_propagate_reference,  # noqa
                                propagate, walked_to_label)
from rpnet_mmseg.refine.random_walk import num_products  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--num-classes', type=int, default=21,
                        help='classes with background; the image has CAMs '
                        'of all NUM_CLASSES - 1 foreground classes')
    parser.add_argument('--radius', type=int, default=5)
    parser.add_argument('--beta', type=float, default=10.0)
    parser.add_argument('--exp-times', type=int, default=8)
    parser.add_argument('--method', default='chebyshev',
                        choices=['chebyshev', 'power'])
    parser.add_argument('--chunk-size', type=int, default=32,
                        help='CAM channels the sparse walk takes at a time')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads of both walks (default 1: a '
                        'shared machine makes multi-threaded timings of '
                        'small operations erratic)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--sparse-only', action='store_true',
                        help='skip the dense walk')
    return parser.parse_args(argv)


def make_inputs(args: argparse.Namespace):
    """Seeded boundary map (h, w) and CAMs (K, h, w) on the stride-4 grid."""
    g = torch.Generator().manual_seed(args.seed)
    h, w = math.ceil(args.height / 4), math.ceil(args.width / 4)
    # Regions: nearest of 12 random seeds; boundary ridges between them,
    # widened by a 3 x 3 blur, plus weak noise.
    seeds = torch.rand(12, 2, generator=g) * torch.tensor([h, w])
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float32),
        torch.arange(w, dtype=torch.float32),
        indexing='ij')
    dist = (yy[None] - seeds[:, 0, None, None])**2 + \
        (xx[None] - seeds[:, 1, None, None])**2
    region = dist.argmin(0)
    edge = torch.zeros(h, w)
    edge[:-1] += (region[:-1] != region[1:]).float()
    edge[:, :-1] += (region[:, :-1] != region[:, 1:]).float()
    edge = F.avg_pool2d(edge.clamp(max=1)[None, None], 3, 1, 1)[0, 0]
    boundary = (edge * 2.5).clamp(max=1) * (0.7 + 0.3 * torch.rand(
        h, w, generator=g)) + 0.05 * torch.rand(h, w, generator=g)
    boundary = boundary.clamp(0, 1)
    # CAMs: 1-3 Gaussian blobs per class, ReLU'd, each divided by its max.
    num_cams = args.num_classes - 1
    cams = torch.zeros(num_cams, h, w)
    for k in range(num_cams):
        for _ in range(int(torch.randint(1, 4, (1, ), generator=g))):
            cy, cx = torch.rand(2, generator=g) * torch.tensor([h, w])
            sigma = 4 + 12 * float(torch.rand(1, generator=g))
            amp = 0.3 + 0.7 * float(torch.rand(1, generator=g))
            cams[k] += amp * torch.exp(-((yy - cy)**2 + (xx - cx)**2) /
                                       (2 * sigma**2))
        cams[k] = cams[k].relu() / cams[k].max()
    return boundary, cams


def _rss_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter; False where not supported."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _measure(which: str, args: argparse.Namespace, conn) -> None:
    """Child process: run one walk, send (seconds, peak bytes, walked)."""
    torch.set_num_threads(args.threads)
    boundary, cams = make_inputs(args)
    path_index = PathIndex(args.radius)
    # Initialise the libraries both walks use (thread pools, BLAS) first.
    torch.ones(64, 64) @ torch.ones(64, 64)
    F.interpolate(torch.ones(1, 1, 4, 4), scale_factor=2, mode='bilinear')
    before = _rss_kib('VmRSS')
    exact = _reset_peak()
    start = time.perf_counter()
    if which == 'sparse':
        walked = propagate(
            cams,
            boundary,
            path_index,
            beta=args.beta,
            exp_times=args.exp_times,
            method=args.method,
            chunk_size=args.chunk_size)
    else:
        walked = dense_propagate_reference(
            cams,
            boundary,
            path_index,
            beta=args.beta,
            exp_times=args.exp_times)
    seconds = time.perf_counter() - start
    if exact:
        peak = _rss_kib('VmHWM')
    else:  # ru_maxrss (KiB on Linux) covers the whole process's life
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((seconds, (peak - before) * 1024, exact, walked.numpy()))
    conn.close()


def run_in_child(which: str, args: argparse.Namespace):
    ctx = mp.get_context('spawn')
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measure, args=(which, args, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    if proc.exitcode:
        raise RuntimeError(f'the {which} walk failed ({proc.exitcode})')
    seconds, peak, exact, walked = result
    return seconds, peak, exact, torch.from_numpy(walked)


def main(argv=None) -> None:
    args = parse_args(argv)
    h, w = math.ceil(args.height / 4), math.ceil(args.width / 4)
    num_cams = args.num_classes - 1
    path_index = PathIndex(args.radius)
    steps = 2**args.exp_times
    products = num_products(path_index, h, w, args.exp_times, args.method)
    print(f'image {args.width}x{args.height}, stride-4 grid {w}x{h} '
          f'({h * w} pixels), {num_cams} CAMs ({args.num_classes} classes), '
          f'radius {args.radius} ({len(path_index)} directions), beta '
          f'{args.beta:g}, {steps} steps, {args.threads} torch thread(s)')
    s_time, s_peak, exact, s_walk = run_in_child('sparse', args)
    mib = 2**20
    print(f'sparse ({args.method}, {products} sparse products, '
          f'{args.chunk_size} CAMs at a time): '
          f'{s_time:.3f} s, peak memory +{s_peak / mib:.1f} MiB')
    if args.sparse_only:
        return
    d_time, d_peak, _, d_walk = run_in_child('dense', args)
    print(f'dense (IRN, {args.exp_times} squarings of a {h * w}^2 matrix): '
          f'{d_time:.1f} s, peak memory +{d_peak / mib:.1f} MiB')
    print(f'max |sparse - dense| = {(s_walk - d_walk).abs().max():.2e} '
          f'(walked values up to {d_walk.max():.3f})')
    keys = torch.arange(num_cams)
    shape = (args.height, args.width)
    same = (walked_to_label(s_walk, keys, shape) == walked_to_label(
        d_walk, keys, shape)).double().mean().item()
    if not exact:
        print('peak memory: /proc/self/clear_refs unavailable, used the '
              "process's lifetime peak RSS (ru_maxrss)")
    print(f'sparse vs dense: speed {d_time / s_time:.1f}x, peak memory '
          f'{d_peak / max(s_peak, 1):.1f}x, identical labels '
          f'{100 * same:.2f}%')


if __name__ == '__main__':
    main()
