"""LR-from-HR recipes used by ``tools/prepare_data.py`` and on-the-fly datasets.

All functions take and return ``uint8`` HWC arrays.

* :func:`bicubic_down` -- the standard SR benchmark degradation (DIV2K/Set5
  "bicubic"): Pillow's bicubic resize, which low-pass filters when shrinking
  as MATLAB's ``imresize`` does.
* :func:`nearest_blur_down` -- the "home-made dataset" recipe: nearest-
  neighbour down-scaling followed by a Gaussian blur.
* :func:`down_up` -- bicubic down then back up to the HR size, for models
  that take an up-sampled input (SPARNet).
"""
import cv2

from ..config import ConfigError
from ..io.images import bicubic_resize

__all__ = ['mod_crop', 'bicubic_down', 'nearest_blur_down', 'down_up',
           'DEGRADATIONS']


def mod_crop(img, scale):
    """Crop the bottom/right so both sides are multiples of ``scale``."""
    h, w = img.shape[:2]
    return img[:h - h % scale, :w - w % scale]


def bicubic_down(img, scale):
    h, w = img.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f'image {w}x{h} is not a multiple of scale {scale}; '
                         'mod_crop it first')
    return bicubic_resize(img, (w // scale, h // scale))


def nearest_blur_down(img, scale, kernel_size=5, sigma=1.0):
    """Nearest down-scaling then a ``kernel_size`` Gaussian blur of ``sigma``."""
    if kernel_size % 2 != 1 or kernel_size < 1:
        raise ConfigError(f'kernel_size must be odd and positive, got '
                          f'{kernel_size}')
    if sigma <= 0:
        raise ConfigError(f'sigma must be > 0, got {sigma}')
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // scale, h // scale),
                       interpolation=cv2.INTER_NEAREST)
    out = cv2.GaussianBlur(small, (kernel_size, kernel_size), sigma)
    return out.reshape(small.shape)


def down_up(img, scale):
    """Bicubic ``1/scale`` then back to the original size."""
    h, w = img.shape[:2]
    return bicubic_resize(bicubic_down(img, scale), (w, h))


DEGRADATIONS = {
    'bicubic': bicubic_down,
    'blur': nearest_blur_down,
    'downup': down_up,
}
