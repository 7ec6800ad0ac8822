"""Image operations of the SPARNet face pipeline (uint8 HWC in, uint8 HWC out).

* :func:`square_resize` -- centre-crop to a square, then bicubic-resize;
* :func:`random_scale_crop` -- the zoom-in augmentation of Face-SPARNet's
  CelebA loader: a zoom factor ``s`` is drawn from ``zoom`` (default 1 to
  1.3); for ``s > 1`` a random crop covering ``2 - zoom[1]`` (0.7) to 1 of
  the area, with aspect ratio in 3/4..4/3, is bicubic-resized back to the
  full size; ``s < 1`` shrinks the image and pads it with black around the
  centre; ``s`` that does not change the pixel size leaves the image as is;
* :func:`lr_from_hr` -- the LR input: bicubic down by ``scale`` and back up.

Randomness comes from ``numpy.random`` so ``--seed`` and Paddle's per-worker
seeding make it reproducible.
"""
import math

import numpy as np

from ..config import ConfigError
from ..io.images import bicubic_resize

__all__ = ['square_resize', 'random_resized_crop_box', 'random_scale_crop',
           'lr_from_hr', 'hflip']


def square_resize(img, size):
    """Centre-crop ``img`` to a square and bicubic-resize it to ``size``."""
    h, w = img.shape[:2]
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        img = img[top:top + side, left:left + side]
    if img.shape[0] != size:
        img = bicubic_resize(img, (size, size))
    return np.ascontiguousarray(img)


def hflip(img):
    return np.ascontiguousarray(img[:, ::-1])


def random_resized_crop_box(h, w, area_range, ratio_range, rng=np.random):
    """``(top, left, height, width)`` of a random crop with area fraction in
    ``area_range`` and width/height ratio in ``ratio_range`` (log-uniform);
    after 10 failed draws, the largest centred crop within the ratio range.
    """
    area = h * w
    log_lo, log_hi = math.log(ratio_range[0]), math.log(ratio_range[1])
    for _ in range(10):
        target = area * rng.uniform(*area_range)
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        cw = int(round(math.sqrt(target * aspect)))
        ch = int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            top = int(rng.randint(0, h - ch + 1))
            left = int(rng.randint(0, w - cw + 1))
            return top, left, ch, cw
    in_ratio = w / h
    if in_ratio < ratio_range[0]:
        cw, ch = w, int(round(w / ratio_range[0]))
    elif in_ratio > ratio_range[1]:
        ch, cw = h, int(round(h * ratio_range[1]))
    else:
        ch, cw = h, w
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def random_scale_crop(img, zoom=(1.0, 1.3), ratio=(3. / 4., 4. / 3.),
                      rng=np.random):
    """Face-SPARNet's random zoom augmentation; output has ``img``'s size."""
    lo, hi = float(zoom[0]), float(zoom[1])
    if not 0 < lo <= hi:
        raise ConfigError(f'zoom range {zoom} must satisfy 0 < min <= max')
    h, w = img.shape[:2]
    s = rng.uniform(lo, hi) if hi > lo else lo
    sw, sh = int(w * s), int(h * s)
    if sw > w:
        area_lo = min(max(2.0 - hi, 0.05), 1.0)
        top, left, ch, cw = random_resized_crop_box(h, w, (area_lo, 1.0),
                                                    ratio, rng)
        crop = img[top:top + ch, left:left + cw]
        return bicubic_resize(crop, (w, h))
    if sw < w:
        small = bicubic_resize(img, (max(sw, 1), max(sh, 1)))
        out = np.zeros_like(img)
        top, left = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        out[top:top + small.shape[0], left:left + small.shape[1]] = small
        return out
    return img


def lr_from_hr(hr, scale, input_size=None):
    """Bicubic ``1/scale`` of ``hr`` (square), then bicubic up to
    ``input_size`` (default: ``hr``'s size). Returns ``(lr_small, lr_up)``."""
    size = hr.shape[0]
    if size % scale:
        raise ConfigError(f'HR size {size} is not a multiple of scale {scale}')
    small = bicubic_resize(hr, (size // scale, size // scale))
    up_size = input_size or size
    return small, bicubic_resize(small, (up_size, up_size))
