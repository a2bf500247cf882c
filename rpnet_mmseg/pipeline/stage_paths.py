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


class _Folder(property):
    """A read-only ``str`` attribute of :class:`StagePaths`: ``root/*parts``.

    Args:
        *parts (str): The folder's path below the run's root (none: the
            root itself).
        doc (str): What the folder holds.
    """

    def __init__(self, *parts: str, doc: str) -> None:
        super().__init__(lambda paths: osp.join(paths.root, *parts))
        # Set here: before Python 3.12, doc= of a property subclass is lost.
        self.__doc__ = doc


@dataclass(frozen=True)
class StagePaths:
    """Folders of one pipeline run (one CAM model and one seed).

    Every folder is a read-only property (``paths.cam_dir`` ...).

    Args:
        root (str): The run's root, e.g. ``work_dirs/demo/rpnet/seed_0``.
    """

    root: str

    cam_work_dir = _Folder(doc='Logs and checkpoints of the CAM network.')
    cam_dir = _Folder(
        'cams', doc='``NAME.npz`` CAM files of every training image.')
    cam_overlay_dir = _Folder('overlays', doc='CAM overlay PNGs.')
    relation_label_dir = _Folder(
        'relation_labels',
        doc='``NAME.png`` relation labels (0 bg, 1..C fg, 255 unsure).')
    irn_work_dir = _Folder('irn', doc='Logs and checkpoints of IRN.')
    pseudo_label_dir = _Folder(
        'pseudo_labels',
        doc='``NAME.png`` pseudo-labels of every training image.')
    pseudo_label_overlay_dir = _Folder(
        'pseudo_label_overlays', doc='Pseudo-label overlay PNGs.')
    seg_work_dir = _Folder(
        'deeplab', doc='Logs and checkpoints of the segmentation network.')
    pred_dir = _Folder(
        'deeplab', 'preds',
        doc='``NAME.png`` segmentation predictions on ``val``.')
    pred_dir_crf = _Folder(
        'deeplab', 'preds_crf',
        doc='``NAME.png`` predictions after dense-CRF post-processing.')
    pred_overlay_dir = _Folder(
        'deeplab', 'pred_overlays', doc='Prediction overlay PNGs.')
    unlabelled_pred_dir = _Folder(
        'deeplab', 'preds_unlabelled',
        doc='``NAME.png`` predictions of a folder\'s ``unlabelled/`` images.')
    unlabelled_pred_overlay_dir = _Folder(
        'deeplab', 'pred_overlays_unlabelled',
        doc='Overlay PNGs of those predictions.')

    def cam_checkpoint(self, epochs: int) -> str:
        """The CAM network's checkpoint after ``epochs`` epochs.

        The segmentation stage of the demo starts its backbone from it.
        """
        return osp.join(self.root, f'epoch_{epochs}.pth')
