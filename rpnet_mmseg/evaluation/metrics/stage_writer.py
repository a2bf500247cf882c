"""The one writer base class of every stage: one file per image, on disk."""
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import broadcast_object_list, get_rank
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from ...fileio import (ON_STALE, StaleOutputError, check_image_name,
                       check_or_record, note_written, unknown_producer)


def get_field(sample: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a data sample given as dict or SegDataSample.

    mmengine's Evaluator hands metrics ``data_sample.to_dict()``, which
    flattens metainfo and data fields into one dict; both types have ``get``.

    Args:
        sample (dict | SegDataSample): The data sample.
        key (str): Metainfo or data field name.
        default (Any): Returned when the key is absent. Defaults to None.

    Returns:
        Any: The value.
    """
    return sample.get(key, default)


def to_numpy(value: Any, dtype: Optional[type] = None) -> np.ndarray:
    """Convert a tensor, PixelData (or its dict) or array to numpy.

    Args:
        value (Any): Tensor, array-like, ``PixelData`` or ``{'data': ...}``.
        dtype (type, optional): Target dtype. Defaults to None (kept).

    Returns:
        np.ndarray: A contiguous CPU array.
    """
    if isinstance(value, Mapping) and 'data' in value:
        value = value['data']
    elif hasattr(value, 'data') and not isinstance(value,
                                                   (torch.Tensor, np.ndarray)):
        value = value.data
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(value), dtype=dtype)


def sample_name(sample: Any) -> str:
    """Return the image name (file stem) of a data sample.

    Uses the ``img_id`` metainfo the rpnet datasets set, else the stem of
    ``img_path``.

    Args:
        sample (dict | SegDataSample): The data sample.

    Returns:
        str: The image name.

    Raises:
        ValueError: If the sample has neither ``img_id`` nor ``img_path``,
            or the name cannot be a file name in a stage folder
            (:func:`rpnet_mmseg.fileio.check_image_name`).
    """
    name = get_field(sample, 'img_id')
    source = 'img_id'
    if name is None:
        img_path = get_field(sample, 'img_path')
        if img_path is None:
            raise ValueError('data sample has neither "img_id" nor '
                             '"img_path" metainfo; cannot name its file')
        name = osp.splitext(osp.basename(img_path))[0]
        source = f"img_path '{img_path}'"
    return check_image_name(
        str(name), f"stage file name from the data sample's {source}")


class StageWriter(BaseMetric):
    """Base class of the metrics that write one file per image.

    Not a score: a "metric" so that a stage runs under ``tools/test.py``
    (and ``dist_test.sh``, where every rank writes the images of its own
    shard) or inside a val loop. A subclass sets :attr:`output_suffix` and
    implements :meth:`write_sample`, i.e. how one sample becomes one file;
    the base class does the rest:

    - **Provenance.** Once per epoch, before the first file, rank 0 compares
      the producer (config and weights, handed over by
      :class:`~rpnet_mmseg.engine.StageProvenanceHook`) with the folder's
      ``.rpnet_stage.json`` (:func:`rpnet_mmseg.fileio.check_or_record`);
      the other ranks wait for its verdict and raise the same error. A
      folder of another producer raises
      :class:`~rpnet_mmseg.fileio.StaleOutputError` (``on_stale='error'``)
      or is emptied of the files its writers wrote and recomputed
      (``on_stale='overwrite'``). A folder holding output files that no
      writer of this project listed (a user's data) is always refused.
    - **Manifest.** Each rank lists the files of a batch in its own
      ``.rpnet_written.rank<R>.txt`` before writing them
      (:func:`rpnet_mmseg.fileio.note_written`), so ``'overwrite'`` deletes
      only what was written here.
    - **Resume.** After that check every output file in the folder is this
      producer's and complete (files are written atomically), so an
      existing file is skipped: an interrupted run picks up where it
      stopped.
    - **Counts.** One ``(written, skipped)`` pair per image, summed over the
      ranks (mmengine drops the sampler's padding), logged and returned as
      ``num_written`` / ``num_skipped``.

    A writer that was never handed a producer (no hook in the config)
    records the producer ``"unknown"`` and never resumes: it starts a
    folder without output files, recomputes everything with
    ``on_stale='overwrite'``, and refuses a folder with output files
    otherwise (error naming the hook to add). Its producer is forgotten
    after each :meth:`evaluate`, so a val loop never reuses last epoch's.

    Args:
        output_dir (str): The stage folder (local disk), created by the
            first check.
        on_stale (str): What to do when ``output_dir`` holds another
            producer's outputs: ``'error'`` (default) or ``'overwrite'``.
        stage (str, optional): Stage name recorded in the folder. Defaults
            to None (the class name).
        collect_device (str): Device used to collect the per-image counts
            across ranks, 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the returned metric names; set it
            when one evaluator holds two writers. Defaults to None.
    """
    output_suffix: str = ''

    def __init__(self,
                 output_dir: str,
                 on_stale: str = 'error',
                 stage: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        if on_stale not in ON_STALE:
            raise ValueError(f'{type(self).__name__}: on_stale must be one '
                             f'of {ON_STALE}, got {on_stale!r}')
        if not self.output_suffix:
            raise TypeError(f'{type(self).__name__} must set output_suffix')
        self.output_dir = output_dir
        self.on_stale = on_stale
        self.stage = stage or type(self).__name__
        self.producer: Optional[Dict] = None
        self.folder_mode: Optional[str] = None
        self.dataset_skips = False

    def output_path(self, name: str) -> str:
        """Path of image ``name``'s file: ``output_dir/NAME{suffix}``."""
        return osp.join(self.output_dir, name + self.output_suffix)

    def write_sample(self, sample: Any, name: str, path: str) -> None:
        """Validate one sample and write its file atomically to ``path``.

        Args:
            sample (dict | SegDataSample): The model's output for one image.
            name (str): The image name.
            path (str): Where to write (``output_path(name)``).
        """
        raise NotImplementedError

    def settings(self) -> Dict[str, Any]:
        """What this writer puts into its files besides the model's output
        (part of the folder's producer: other settings, other files).

        Returns:
            dict: JSON-able settings; subclasses add theirs.
        """
        return {'type': type(self).__name__, 'suffix': self.output_suffix}

    def own_producer(self, producer: Mapping) -> Dict[str, Any]:
        """The record this writer keeps in its folder for ``producer``.

        Args:
            producer (dict): From :func:`rpnet_mmseg.fileio.make_record`.

        Returns:
            dict: ``producer`` with this writer's ``stage`` and
            :meth:`settings`.
        """
        return dict(producer, stage=self.stage, writer=self.settings())

    def set_producer(self,
                     producer: Optional[Mapping],
                     dataset_skips: bool = False) -> None:
        """Take this epoch's producer and check the folder against it.

        Called by :class:`~rpnet_mmseg.engine.StageProvenanceHook` on every
        rank before the epoch (a collective call: all ranks must make it).

        Args:
            producer (dict, optional): From
                :func:`rpnet_mmseg.fileio.make_record`; its ``stage`` is
                replaced by this writer's and its :meth:`settings` added.
                None: unknown.
            dataset_skips (bool): The folder is also the dataset's
                ``skip_done_dir``: the images whose files exist there do
                not run, so another producer's files are refused, never
                deleted (they would not be recomputed). Defaults to False.
        """
        self.producer = None if producer is None else \
            self.own_producer(producer)
        self.folder_mode = None
        self.dataset_skips = dataset_skips
        self.check_folder()

    def check_folder(self) -> str:
        """Check the folder's provenance on rank 0; all ranks get the verdict.

        Returns:
            str: ``'new'``, ``'resume'`` or ``'overwrite'``.

        Raises:
            StaleOutputError: See :func:`rpnet_mmseg.fileio.check_or_record`.
        """
        producer = self.producer or unknown_producer(self.stage)
        verdict: List[Any] = [None, None]
        if get_rank() == 0:
            on_stale = 'error' if self.dataset_skips else self.on_stale
            try:
                verdict = [
                    check_or_record(self.output_dir, producer, on_stale,
                                    self.output_suffix), None
                ]
            except StaleOutputError as e:  # every rank raises rank 0's
                if self.dataset_skips:
                    e = StaleOutputError(
                        f"{e}\n{self.output_dir} is also the dataset's "
                        'skip_done_dir: the images whose files exist there '
                        'were dropped from the run, so those files are not '
                        'deleted (they would never be recomputed); drop '
                        'skip_done_dir to recompute them.')
                verdict = [None, e]
            except Exception as e:
                verdict = [None, e]
        broadcast_object_list(verdict, src=0)
        mode, error = verdict
        if error is not None:
            raise error
        self.folder_mode = mode
        if mode == 'overwrite':
            print_log(
                f'{self.stage}: {self.output_dir} held another producer\'s '
                'outputs; deleted the files its manifests list '
                '(on_stale="overwrite"), recomputing',
                logger=MMLogger.get_current_instance())
        return mode

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Write the files of one batch, skipping finished ones.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | SegDataSample]): The model outputs.
        """
        if self.folder_mode is None:  # no hook: check once, unknown producer
            self.check_folder()
        todo = []
        for sample in data_samples:
            name = sample_name(sample)
            path = self.output_path(name)
            if osp.exists(path):
                self.results.append((0, 1))
            else:
                todo.append((sample, name, path))
        # Listed before they are written: every file written is listed.
        note_written(self.output_dir, [osp.basename(t[2]) for t in todo])
        for sample, name, path in todo:
            self.write_sample(sample, name, path)
            self.results.append((1, 0))

    def evaluate(self, size: int) -> dict:
        """Sum the counts of all ranks, then forget this epoch's producer.

        Args:
            size (int): Length of the dataset.

        Returns:
            dict: ``num_written`` and ``num_skipped`` (with the prefix).
        """
        try:
            return super().evaluate(size)
        finally:
            self.producer = None
            self.folder_mode = None

    def compute_metrics(self, results: List[tuple]) -> Dict[str, int]:
        """Sum the per-image counts of all ranks.

        Args:
            results (list[tuple]): ``(written, skipped)`` per image.

        Returns:
            dict: ``num_written`` and ``num_skipped``.
        """
        written = int(sum(r[0] for r in results))
        skipped = int(sum(r[1] for r in results))
        print_log(
            f'{self.stage}: {written} files written, {skipped} already '
            f'present (resumed), in {self.output_dir}',
            logger=MMLogger.get_current_instance())
        return {'num_written': written, 'num_skipped': skipped}
