"""The one place that names the folders the pipeline's stages pass along.

Each stage writes a folder that the next one reads: CAMs -> relation labels
-> IRN checkpoints -> pseudo-labels -> segmentation checkpoints and
predictions. :class:`StagePaths` derives every such folder from one run root,
so the pipeline tool, the configs (``configs/_base_/pipeline/``) and the
tests agree on them by construction.
"""
import os.path as osp
from dataclasses import dataclass

__all__ = ['StagePaths']


@dataclass(frozen=True)
class StagePaths:
    """Folders of one pipeline run (one CAM model and one seed).

    Args:
        root (str): The run's root, e.g. ``work_dirs/demo/rpnet/seed_0``.
    """

    root: str

    def _sub(self, *parts: str) -> str:
        return osp.join(self.root, *parts)

    @property
    def cam_work_dir(self) -> str:
        """Logs and checkpoints of the CAM network."""
        return self.root

    def cam_checkpoint(self, epochs: int) -> str:
        """The CAM network's checkpoint after ``epochs`` epochs.

        The segmentation stage of the demo starts its backbone from it.
        """
        return self._sub(f'epoch_{epochs}.pth')

    @property
    def cam_dir(self) -> str:
        """``NAME.npz`` CAM files of every training image."""
        return self._sub('cams')

    @property
    def cam_overlay_dir(self) -> str:
        """CAM overlay PNGs."""
        return self._sub('overlays')

    @property
    def relation_label_dir(self) -> str:
        """``NAME.png`` relation labels (0 bg, 1..C fg, 255 unsure)."""
        return self._sub('relation_labels')

    @property
    def irn_work_dir(self) -> str:
        """Logs and checkpoints of IRN."""
        return self._sub('irn')

    @property
    def pseudo_label_dir(self) -> str:
        """``NAME.png`` pseudo-labels of every training image."""
        return self._sub('pseudo_labels')

    @property
    def pseudo_label_overlay_dir(self) -> str:
        """Pseudo-label overlay PNGs."""
        return self._sub('pseudo_label_overlays')

    @property
    def seg_work_dir(self) -> str:
        """Logs and checkpoints of the segmentation network."""
        return self._sub('deeplab')

    @property
    def pred_dir(self) -> str:
        """``NAME.png`` segmentation predictions on ``val``."""
        return self._sub('deeplab', 'preds')

    @property
    def pred_dir_crf(self) -> str:
        """``NAME.png`` predictions after dense-CRF post-processing."""
        return self._sub('deeplab', 'preds_crf')
