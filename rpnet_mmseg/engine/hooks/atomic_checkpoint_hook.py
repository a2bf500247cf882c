"""Checkpoints that a kill during the save cannot corrupt."""
import os
import os.path as osp
from typing import Any, List

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from ...fileio.atomic import create_tmp, save_text_atomic, tmp_path_for


def _make_saves_atomic(runner: Any) -> None:
    """Let ``runner.save_checkpoint`` write to ``.NAME.tmp.PID`` and rename.

    Covers every checkpoint the runner saves (the periodic ones and
    ``save_best``). Only local folders are written this way; other backends
    are left to mmengine.
    """
    if getattr(runner, '_rpnet_atomic_saves', False):
        return
    save = runner.save_checkpoint

    def atomic_save(out_dir: str, filename: str, *args, **kwargs) -> None:
        final = osp.join(out_dir, filename)
        if is_main_process():  # created here, never through a link
            fd, tmp = create_tmp(final)
            os.close(fd)
        else:  # mmengine writes nothing on the other ranks
            tmp = tmp_path_for(final)
        save(osp.dirname(tmp), osp.basename(tmp), *args, **kwargs)
        if is_main_process():  # mmengine writes on the main process only
            os.replace(tmp, final)

    runner.save_checkpoint = atomic_save
    runner._rpnet_atomic_saves = True


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, safe against a kill at any moment.

    mmengine 0.10.7 writes a checkpoint in place, so a kill during the save
    leaves a truncated ``epoch_N.pth`` that ``last_checkpoint`` points at,
    and with ``max_keep_ckpts`` it deletes the previous checkpoint BEFORE
    writing the new one. This hook (same arguments) writes each checkpoint
    to a temporary name and renames it when complete, deletes old
    checkpoints only after the new one exists, and rewrites
    ``last_checkpoint`` atomically, so the work dir always holds a complete
    latest checkpoint. ``tools/train.py`` puts it in place of
    ``CheckpointHook`` (:func:`~rpnet_mmseg.engine.add_run_hooks`).
    """

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then make the runner's saves atomic."""
        super().before_train(runner)
        if isinstance(self.file_backend, LocalBackend):
            _make_saves_atomic(runner)

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Save, then prune old checkpoints, then point at the new one."""
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        dropped: List[int] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                dropped.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        save_text_atomic(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old in dropped:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path):
                os.remove(path)
