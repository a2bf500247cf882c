"""Region comparison: the foreground map (paper eqs. 7-8)."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.registry import MODELS


@MODELS.register_module()
class PrototypeComparator(nn.Module):
    """``FM(x, y) = max_k cos(p_k, f_N(x, y))`` (eqs. 7-8).

    Plain cosine similarity without a scale factor. Invalid (empty-mask)
    prototypes are left out of the maximum; where an image has no valid
    prototype at all its FM is ``fallback`` (1: no re-weighting).

    Args:
        fallback (float): FM value for images without any valid prototype.
            Defaults to 1.0.
        eps (float): Norm guard of the cosine. Defaults to 1e-8.
    """

    def __init__(self, fallback: float = 1.0, eps: float = 1e-8) -> None:
        super().__init__()
        self.fallback = fallback
        self.eps = eps

    def forward(self, feat: Tensor, protos: Tensor, valid: Tensor) -> Tensor:
        """Compute the foreground map.

        Args:
            feat (Tensor): Projected last-block features, (B, C, H, W).
            protos (Tensor): Prototypes, (B, K, C).
            valid (Tensor): Bool validity of each prototype, (B, K).

        Returns:
            Tensor: FM of shape (B, 1, H, W), values in [-1, 1].
        """
        f = F.normalize(feat, dim=1, eps=self.eps)
        p = F.normalize(protos, dim=2, eps=self.eps)
        sims = torch.einsum('bkc,bchw->bkhw', p, f)  # eq. 7
        sims = sims.masked_fill(~valid[:, :, None, None], float('-inf'))
        fm = sims.amax(dim=1, keepdim=True)  # eq. 8
        none_valid = ~valid.any(dim=1)
        if none_valid.any():
            fm = torch.where(none_valid[:, None, None, None],
                             torch.full_like(fm, self.fallback), fm)
        return fm
