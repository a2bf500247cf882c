"""The dense-CRF tests' toy case, shared by the utility's and the
post-processor's tests.

A dark left part and a bright right part (edge at column 20); a noisy
prediction puts the object boundary at column 26 and flips random pixels.
"""
import numpy as np

H, W, EDGE = 30, 40, 20
NUM_CLASSES, OBJ = 5, 3


def toy_image():
    """The image: dark left of EDGE, bright right."""
    img = np.full((H, W, 3), 40, np.uint8)
    img[:, EDGE:] = 215
    return img


def truth():
    """The true labels: OBJ right of EDGE."""
    lab = np.zeros((H, W), np.int64)
    lab[:, EDGE:] = OBJ
    return lab


def noisy_probs(seed=0):
    """Boundary at column 26 with p = 0.65, 10% of pixels flipped; the
    classes other than 0 and OBJ get almost no mass."""
    rng = np.random.default_rng(seed)
    pred = np.zeros((H, W), np.int64)
    pred[:, 26:] = OBJ
    flip = rng.random((H, W)) < 0.1
    pred[flip] = np.where(pred[flip] == 0, OBJ, 0)
    probs = np.full((NUM_CLASSES, H, W), 1e-4, np.float32)
    other = np.where(pred == 0, OBJ, 0)
    rows, cols = np.indices((H, W))
    probs[pred, rows, cols] = 0.65
    probs[other, rows, cols] = 1 - 0.65 - 3e-4
    return probs, pred


def agreement(label):
    """Share of pixels where ``label`` is the truth."""
    return float((label == truth()).mean())
