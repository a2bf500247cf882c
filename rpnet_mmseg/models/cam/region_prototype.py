"""Region prototypes from confident regions (paper eqs. 5-6)."""
from typing import Tuple

import torch
from torch import Tensor


def confidence_mask(confidence: Tensor,
                    alpha: float,
                    keep_prob: float,
                    training: bool = True) -> Tensor:
    """Binary confidence mask ``M_n`` of eq. 6.

    ``M_n = X * [O'_n > alpha]`` with ``X ~ Bernoulli(beta)`` drawn per
    position while training; at test time ``X = 1``.

    Args:
        confidence (Tensor): Confident map ``O'_n``, shape (B, 1, H, W).
        alpha (float): Confidence threshold.
        keep_prob (float): ``beta``, the probability that a confident position
            is kept (1 keeps all, 0 drops all).
        training (bool): Draw the Bernoulli mask. Defaults to True.

    Returns:
        Tensor: A float 0/1 mask of the same shape.
    """
    if not 0.0 <= keep_prob <= 1.0:
        raise ValueError(f'keep_prob (beta) must be in [0, 1], got '
                         f'{keep_prob}')
    mask = (confidence > alpha).to(confidence.dtype)
    if training and keep_prob < 1.0:
        mask = mask * torch.bernoulli(torch.full_like(mask, keep_prob))
    return mask


def masked_average_pool(feat: Tensor,
                        mask: Tensor,
                        eps: float = 1e-6) -> Tuple[Tensor, Tensor]:
    """Region prototype ``p_n = sum(f_n M_n) / sum(M_n)`` (eq. 5).

    Args:
        feat (Tensor): Features, shape (B, C, H, W).
        mask (Tensor): Mask ``M_n``, shape (B, 1, H, W).
        eps (float): Guards the division for empty masks.

    Returns:
        tuple[Tensor, Tensor]: Prototypes (B, C) and a bool (B, ) that is
        False where the mask was empty (such a prototype is undefined and
        must not be compared).
    """
    area = mask.sum(dim=(2, 3))
    protos = (feat * mask).sum(dim=(2, 3)) / area.clamp(min=eps)
    return protos, area.squeeze(1) > 0


def pair_prototypes(protos: Tensor, valid: Tensor,
                    source: str) -> Tuple[Tensor, Tensor]:
    """Gather the prototypes each image is compared with.

    Images ``2i`` and ``2i + 1`` of the batch form a pair. With ``'pair'``
    each image uses the ``2N`` prototypes of both images (eq. 7); with
    ``'self'`` only its own ``N`` (Table VII's single-image setting).

    Args:
        protos (Tensor): Per-image prototypes, shape (B, N, C).
        valid (Tensor): Bool validity, shape (B, N).
        source (str): 'pair' or 'self'.

    Returns:
        tuple[Tensor, Tensor]: (B, K, C) prototypes and (B, K) validity with
        K = 2N for 'pair' and N for 'self'.
    """
    if source == 'self':
        return protos, valid
    if source != 'pair':
        raise ValueError(f"prototype source must be 'pair' or 'self', "
                         f'got {source!r}')
    b = protos.shape[0]
    if b % 2:
        raise ValueError(f'paired training needs an even batch, got {b}')
    # (B/2, 2N, C): the prototypes of both images of each pair.
    both = protos.reshape(b // 2, -1, protos.shape[-1])
    both_valid = valid.reshape(b // 2, -1)
    return (both.repeat_interleave(2, dim=0),
            both_valid.repeat_interleave(2, dim=0))
