"""Tell every stage writer which config and weights produce its folder."""
import os.path as osp
from typing import Any, List, Optional

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...evaluation.metrics.stage_writer import StageWriter
from ...fileio import make_record

HOOK_TYPE = 'StageProvenanceHook'


def _dataset_skip_done_dir(dataset: Any) -> Optional[str]:
    """``skip_done_dir`` of a dataset or of the dataset a wrapper holds."""
    for _ in range(8):  # ConcatDataset / RepeatDataset / ... nesting
        if dataset is None:
            return None
        done = getattr(dataset, 'skip_done_dir', None)
        if done:
            return done
        dataset = getattr(dataset, 'dataset', None)
    return None


@HOOKS.register_module()
class StageProvenanceHook(Hook):
    """Hand each :class:`StageWriter` of a val / test loop its producer.

    Before every val and test epoch, makes the record of what the loop's
    outputs are made of (:func:`rpnet_mmseg.fileio.make_record`): the model
    and the loop's dataset settings, the sha1 of the model's current
    weights (a val loop during training sees new weights each epoch), the
    loaded checkpoint (``load_from``), the loop's data (image and label
    folders, the ``cam_dir`` folders its data pipeline loads; not the
    split, which only selects images) and, in a pipeline, the content sha1
    of every earlier output (``stage_inputs``), so new CAMs or images at
    the same paths make another producer. Each :class:`StageWriter` in the
    loop's evaluator then checks its folder against it (see
    :class:`StageWriter`). ``tools/train.py`` and ``tools/test.py`` add the
    hook when the config lacks it (:func:`~rpnet_mmseg.engine.add_run_hooks`);
    with mmseg's own tools, add
    ``custom_hooks = [dict(type='StageProvenanceHook')]``.

    It tells each writer whether its folder is also the dataset's
    ``skip_done_dir`` (the images whose files exist there do not run), so
    that the writer never deletes those files to recompute them.
    """
    # After hooks that swap weights in before_val_epoch (e.g. EMAHook,
    # 'NORMAL'), so that the hash is that of the weights evaluated.
    priority = 'LOW'

    def before_val_epoch(self, runner) -> None:
        """Hand the producer to the val evaluator's writers."""
        self._hand_over(runner, 'val')

    def before_test_epoch(self, runner) -> None:
        """Hand the producer to the test evaluator's writers."""
        self._hand_over(runner, 'test')

    @staticmethod
    def _writers(loop: Any) -> List[StageWriter]:
        """The StageWriters of a loop's evaluator."""
        evaluator = getattr(loop, 'evaluator', None)
        return [
            m for m in getattr(evaluator, 'metrics', [])
            if isinstance(m, StageWriter)
        ]

    def _hand_over(self, runner, mode: str) -> None:
        """Compute the producer and give it to every writer of the loop."""
        loop = runner.val_loop if mode == 'val' else runner.test_loop
        writers = self._writers(loop)
        if not writers:
            return
        checkpoint = getattr(runner, '_load_from', None) or \
            runner.cfg.get('load_from')
        producer = make_record(
            HOOK_TYPE,
            runner.cfg,
            loop=mode,
            checkpoint=checkpoint,
            model=runner.model)
        dataloader = getattr(loop, 'dataloader', None)
        done_dir = _dataset_skip_done_dir(getattr(dataloader, 'dataset', None))
        for writer in writers:
            writer.set_producer(producer, dataset_skips=bool(
                done_dir and osp.abspath(done_dir) == osp.abspath(
                    writer.output_dir)))
