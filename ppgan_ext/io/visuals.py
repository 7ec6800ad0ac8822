"""Images <-> model tensors, and grids of images.

A model's tensors hold pixels in its ``value_range`` (see
``ppgan_ext.value_range``); these turn uint8 images into that range and back
with exactly ppgan's ``tensor2img`` arithmetic, so the Trainer's saved
images and every tool's outputs agree to the last bit.
"""
import math

import numpy as np

__all__ = ['to_model_range', 'to_uint8', 'batch_to_uint8', 'make_grid']


def to_model_range(img_uint8, value_range):
    """uint8 HWC image -> float32 CHW array in ``value_range``."""
    lo, hi = value_range
    chw = np.asarray(img_uint8).transpose(2, 0, 1).astype(np.float32)
    return (chw * np.float32((hi - lo) / 255.0) + np.float32(lo)).astype(
        np.float32)


def to_uint8(chw, value_range):
    """float CHW array in ``value_range`` -> uint8 HWC, exactly as ppgan's
    ``tensor2img`` (clip, scale to 0..255, round): the Trainer's saved
    images and every tool's outputs agree to the last bit."""
    lo, hi = value_range
    img = np.clip(chw, lo, hi)
    img = (img - lo) / (hi - lo) * 255.0
    return np.ascontiguousarray(img.transpose(1, 2, 0).round().astype(
        np.uint8))


def batch_to_uint8(nchw, value_range):
    """NCHW batch (tensor or array) in ``value_range`` -> list of uint8 HWC
    images (:func:`to_uint8` each)."""
    arr = nchw.numpy() if hasattr(nchw, 'numpy') else np.asarray(nchw)
    return [to_uint8(a, value_range) for a in arr]


def make_grid(images_hwc, cols=None):
    """Tile equally sized HWC images into a ``rows x cols`` grid."""
    n = len(images_hwc)
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    h, w, c = images_hwc[0].shape
    grid = np.zeros((rows * h, cols * w, c), dtype=images_hwc[0].dtype)
    for i, img in enumerate(images_hwc):
        r, col = divmod(i, cols)
        grid[r * h:(r + 1) * h, col * w:(col + 1) * w] = img
    return grid
