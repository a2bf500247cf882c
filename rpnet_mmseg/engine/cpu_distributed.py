"""Distributed training and testing on machines without a GPU."""
import logging
import os
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log


def _sync_bn_to_bn(node):
    """Recursively replace ``SyncBN`` norm configs by ``BN`` (in place)."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            _sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _sync_bn_to_bn(value)


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a config for multi-process training without CUDA.

    mmengine 0.10.7 always calls ``torch.cuda.set_device`` when it initialises
    a process group and wraps the model with ``device_ids=[LOCAL_RANK]``;
    both fail without a GPU. When ``launcher`` is not 'none' and CUDA is not
    available this initialises a gloo process group from the launcher's
    environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), asks the runner
    for a ``MMDistributedDataParallel`` wrapper with ``device_ids=None`` and
    turns SyncBN into BN. With a GPU it does nothing.

    Args:
        cfg (Config): The config, modified in place.
        launcher (str): The job launcher ('none', 'pytorch', 'slurm', 'mpi').

    Returns:
        bool: True when the CPU distributed set-up was applied.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher {launcher!r} without CUDA is not supported; use '
            'tools/dist_train.sh (torchrun, launcher "pytorch") on CPU')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(f'environment variable {key} is not set: '
                               'start the job with torchrun')
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    if 'env_cfg' in cfg:
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    _sync_bn_to_bn(cfg._cfg_dict)
    print_log(
        f'CPU distributed: gloo process group, rank {dist.get_rank()} of '
        f'{dist.get_world_size()}', logger='current')
    return True


def finish_distributed(exit_process: bool = False) -> None:
    """Let every rank finish, then destroy the default process group.

    mmengine 0.10.7 never destroys the process group it creates. A rank that
    reaches interpreter exit with a live gloo group while another rank still
    works (rank 0 writing its metrics, say) tears down gloo's threads
    unjoined and aborts ("terminate called without an active exception",
    SIGABRT), and torchrun fails the job. A barrier, then
    ``destroy_process_group``, makes the ranks leave together and cleanly.
    Even then, a finished rank's interpreter teardown aborted the same way
    once in six runs of the pipeline kill test (some twenty two-process
    launches each) beside another test run on 2 cores: a test stage whose
    work was done and written failed the pipeline; ``exit_process``
    ends such a process right here instead, with status 0, its logs
    flushed, skipping that teardown. Does nothing outside a distributed run.

    Args:
        exit_process (bool): After a distributed run, end the process with
            status 0 (the tools' last step). Defaults to False.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
        if exit_process:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
