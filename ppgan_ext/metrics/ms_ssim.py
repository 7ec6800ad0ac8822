"""Multi-scale SSIM (Wang, Simoncelli & Bovik, 2003) and a GAN diversity score.

MS-SSIM here follows the paper's reference setting: an 11x11 Gaussian window
with sigma 1.5 applied without padding ('valid'), K1=0.01, K2=0.03, five
scales weighted (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 averaging
between scales (an odd last row/column is repeated), contrast-structure terms
at every scale and the luminance term at the coarsest only. Colour images are
scored per channel and the channel scores averaged.

Two deliberate choices, both as in TensorFlow's ``ssim_multiscale``:

* each per-scale term is clamped at 0 before raising it to its fractional
  weight, so uncorrelated images score ~0 instead of NaN;
* images too small for five scales (a scale must be at least ``win_size``
  pixels on its shorter side, i.e. 161 px for all five) use only as many
  scales as fit, with the leading weights renormalised to sum to 1. Scores
  of different image sizes are therefore not comparable.
"""

import numpy as np
import paddle
from ppgan.metrics.builder import METRICS
from scipy.ndimage import correlate1d

from ..config import ConfigError
from ..progress import progress
from ..registry import register
from .face_psnr_ssim import all_reduce_sums
from .swd import to_nchw_numpy

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _gaussian_taps(win_size, sigma):
    x = np.arange(win_size, dtype=np.float64) - (win_size - 1) / 2.0
    taps = np.exp(-0.5 * (x / sigma)**2)
    return taps / taps.sum()


def _filter_valid(x, taps):
    """Separable 'valid' correlation over the last two axes."""
    r = len(taps) // 2
    for axis in (-2, -1):
        x = correlate1d(x, taps, axis=axis, mode='constant')
        index = [slice(None)] * x.ndim
        index[axis] = slice(r, x.shape[axis] - r)
        x = x[tuple(index)]
    return x


def _halve(x):
    """2x2 mean over the last two axes, repeating an odd last row/column."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        pad = [(0, 0)] * (x.ndim - 2) + [(0, h % 2), (0, w % 2)]
        x = np.pad(x, pad, mode='edge')
    return 0.25 * (x[..., ::2, ::2] + x[..., 1::2, ::2] + x[..., ::2, 1::2] +
                   x[..., 1::2, 1::2])


def num_scales(height, width, win_size=11, max_scales=5):
    """How many halvings (incl. the original) keep both sides >= win_size."""
    scales = 0
    while scales < max_scales and min(height, width) >= win_size:
        scales += 1
        height, width = (height + 1) // 2, (width + 1) // 2
    return scales


def ms_ssim_batch(x, y, data_range=255.0, weights=MS_SSIM_WEIGHTS,
                  win_size=11, sigma=1.5, k1=0.01, k2=0.03):
    """MS-SSIM of image pairs ``x``, ``y`` shaped (..., H, W) -> shape (...).

    Values are expected in [0, data_range]; see the module doc for scale
    reduction on small images.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim < 2:
        raise ValueError(
            f"x and y must share one (..., H, W) shape, got {x.shape} and "
            f"{y.shape}")
    if win_size < 1 or win_size % 2 == 0:
        raise ValueError(f"win_size must be a positive odd int, got {win_size}")
    scales = num_scales(*x.shape[-2:], win_size=win_size,
                        max_scales=len(weights))
    if scales == 0:
        raise ValueError(
            f"MS-SSIM needs images of at least {win_size}x{win_size} pixels, "
            f"got {x.shape[-2]}x{x.shape[-1]}")
    w = np.asarray(weights[:scales], dtype=np.float64)
    if scales < len(weights):
        w = w / w.sum()
    taps = _gaussian_taps(win_size, sigma)
    c1, c2 = (k1 * data_range)**2, (k2 * data_range)**2
    score = np.ones(x.shape[:-2])
    for j in range(scales):
        if j:
            x, y = _halve(x), _halve(y)
        mu_x, mu_y = _filter_valid(x, taps), _filter_valid(y, taps)
        var_x = _filter_valid(x * x, taps) - mu_x * mu_x
        var_y = _filter_valid(y * y, taps) - mu_y * mu_y
        cov = _filter_valid(x * y, taps) - mu_x * mu_y
        term = (2 * cov + c2) / (var_x + var_y + c2)
        if j == scales - 1:
            term = term * (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
        term = np.maximum(term.mean(axis=(-2, -1)), 0.0)
        score = score * term**w[j]
    return score


def ms_ssim(img1, img2, data_range=255.0, **kwargs):
    """MS-SSIM between two HxW or HxWxC images with values in [0, data_range].

    Colour images are scored per channel and averaged. ``kwargs`` go to
    :func:`ms_ssim_batch` (``weights``, ``win_size``, ``sigma``, ``k1``,
    ``k2``).
    """
    img1, img2 = np.asarray(img1), np.asarray(img2)
    if img1.shape != img2.shape:
        raise ValueError(
            f"img1 and img2 must have the same shape, got {img1.shape} and "
            f"{img2.shape}")
    if img1.ndim == 3:
        img1, img2 = np.moveaxis(img1, -1, 0), np.moveaxis(img2, -1, 0)
    elif img1.ndim != 2:
        raise ValueError(
            f"expected HxW or HxWxC images, got shape {img1.shape}")
    return float(np.mean(ms_ssim_batch(img1, img2, data_range, **kwargs)))


@register(METRICS)
class MSSSIMDiversity(paddle.metric.Metric):
    """Mean MS-SSIM over random pairs of generated images (lower = diverse).

    ``update(preds, gts=None)`` collects ``preds``: an NCHW float
    array/tensor with values in ``input_range`` (a generator's [-1, 1]
    output by default) or a list of HxWxC uint8 images in [0, 255]. ``gts``
    is ignored, so GAN models can call ``update(fake, real)``. Float images
    are clipped to ``input_range`` and rescaled to [0, 255].

    ``accumulate()`` scores ``num_pairs`` pairs of distinct images drawn
    uniformly with ``seed``. Under multi-process evaluation each rank draws
    ``ceil(num_pairs / world_size)`` pairs from its own shard and the sums
    and counts are all-reduced: the same estimator, with fewer cross-shard
    pairs.

    Args:
        num_pairs: number of random pairs scored.
        seed: seed of the pair draw (offset by the rank).
        input_range: (min, max) of float inputs.
        batch_pairs: pairs scored per vectorised chunk (memory bound).
    """

    def __init__(self, num_pairs=1000, seed=0, input_range=(-1.0, 1.0),
                 batch_pairs=32):
        if not isinstance(num_pairs, int) or num_pairs < 1:
            raise ConfigError(f"num_pairs must be a positive int, got "
                              f"{num_pairs!r}")
        if not isinstance(batch_pairs, int) or batch_pairs < 1:
            raise ConfigError(f"batch_pairs must be a positive int, got "
                              f"{batch_pairs!r}")
        if not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {seed!r}")
        if len(input_range) != 2 or not input_range[0] < input_range[1]:
            raise ConfigError(f"input_range must be (min, max) with min < max, "
                              f"got {input_range!r}")
        self.num_pairs = num_pairs
        self.seed = seed
        self.input_range = tuple(float(v) for v in input_range)
        self.batch_pairs = batch_pairs
        self.reset()

    def reset(self):
        self._images = []
        self._result = None  # accumulate() is asked more than once

    def _to_unit255(self, preds):
        is_list = isinstance(preds, (list, tuple))
        images = to_nchw_numpy(preds, 'preds')
        if is_list:
            return images  # HxWxC images are taken as [0, 255]
        lo, hi = self.input_range
        return (np.clip(images, lo, hi) - lo) * (255.0 / (hi - lo))

    def update(self, preds, gts=None):
        """Add generated images ``preds``; ``gts`` is accepted and ignored."""
        images = self._to_unit255(preds).astype(np.float32)
        if self._images and images.shape[1:] != self._images[0].shape[1:]:
            raise ValueError(
                f"all images must share one CxHxW, got {images.shape[1:]} "
                f"after {self._images[0].shape[1:]}")
        self._images.append(images)
        self._result = None

    def accumulate(self):
        """Mean MS-SSIM over the drawn pairs (nan with < 2 images per rank)."""
        if self._result is None:
            self._result = self._score_pairs()
        return self._result

    def _score_pairs(self):
        world = paddle.distributed.get_world_size()
        rank = paddle.distributed.get_rank() if world > 1 else 0
        total, count = 0.0, 0
        images = np.concatenate(self._images) if self._images else None
        if images is not None and len(images) >= 2:
            n = len(images)
            pairs = -(-self.num_pairs // world)
            rng = np.random.default_rng([self.seed, rank])
            first = rng.integers(0, n, size=pairs)
            second = (first + rng.integers(1, n, size=pairs)) % n
            for s in progress(range(0, pairs, self.batch_pairs),
                              'MS-SSIM pairs', unit='batch'):
                a = images[first[s:s + self.batch_pairs]]
                b = images[second[s:s + self.batch_pairs]]
                scores = ms_ssim_batch(a, b, 255.0).mean(axis=1)
                total += float(scores.sum())
                count += len(scores)
        total, count = all_reduce_sums([total, count])
        if count == 0:
            return float('nan')
        return total / count

    input_kind = 'tensors'
    min_side = 11  # the 11x11 Gaussian window

    def name(self):
        return 'MSSSIMDiversity'
