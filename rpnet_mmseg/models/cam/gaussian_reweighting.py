"""Feature enhancement by Gaussian re-weighting (paper eqs. 9-10)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.registry import MODELS


def gaussian_kernel2d(sigma: float, kernel_size: int) -> Tensor:
    """The normalised 2D Gaussian ``G`` of eq. 9 on a square grid.

    Args:
        sigma (float): Standard deviation in pixels.
        kernel_size (int): Odd side of the kernel.

    Returns:
        Tensor: (kernel_size, kernel_size) weights that sum to 1.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be odd and >= 1, got '
                         f'{kernel_size}')
    if sigma <= 0:
        raise ValueError(f'sigma must be > 0, got {sigma}')
    r = torch.arange(kernel_size, dtype=torch.float64) - kernel_size // 2
    yy, xx = torch.meshgrid(r, r, indexing='ij')
    g = torch.exp(-(xx**2 + yy**2) / (2 * sigma**2)) / (2 * math.pi * sigma**2)
    return (g / g.sum()).float()


@MODELS.register_module()
class GaussianReweighting(nn.Module):
    """``f_N' = G(FM) * f_N``: smooth FM, then re-weight (eqs. 9-10).

    The paper smooths the sparse FM with a Gaussian filter (sigma 3) and
    multiplies the last block's features by it; negative cosines are clamped
    to 0 so that the weights lie in [0, 1]. The authors' release uses a 5x5
    kernel and first divides FM by its max and multiplies it by 1.3
    (``max_normalize=True, scale=1.3``).

    Args:
        sigma (float): Gaussian standard deviation. Defaults to 3.0.
        kernel_size (int, optional): Kernel side; None uses
            ``2 * ceil(3 * sigma) + 1``. Defaults to 5.
        smooth (bool): Apply the Gaussian (False re-weights with the raw FM,
            Table VI's "without Gaussian"). Defaults to True.
        max_normalize (bool): Divide FM by its per-image max first.
            Defaults to False.
        scale (float): Multiply the weights by this factor. Defaults to 1.0.
    """

    def __init__(self,
                 sigma: float = 3.0,
                 kernel_size: Optional[int] = 5,
                 smooth: bool = True,
                 max_normalize: bool = False,
                 scale: float = 1.0) -> None:
        super().__init__()
        if kernel_size is None:
            kernel_size = 2 * math.ceil(3 * sigma) + 1
        self.smooth = smooth
        self.max_normalize = max_normalize
        self.scale = scale
        self.register_buffer(
            'kernel',
            gaussian_kernel2d(sigma, kernel_size)[None, None],
            persistent=False)

    def weights(self, fm: Tensor) -> Tensor:
        """Return the re-weighting map ``G(FM)`` of shape (B, 1, H, W)."""
        w = fm.clamp(min=0)
        if self.max_normalize:
            w = w / w.amax(dim=(2, 3), keepdim=True).clamp(min=1e-5)
        if self.smooth:
            pad = self.kernel.shape[-1] // 2
            w = F.conv2d(
                F.pad(w, (pad, pad, pad, pad), mode='replicate'),
                self.kernel.to(w.dtype))
        return w * self.scale

    def forward(self, feat: Tensor, fm: Tensor) -> Tensor:
        """Re-weight ``feat`` (B, C, H, W) with ``G(fm)`` (eq. 10)."""
        return self.weights(fm) * feat
