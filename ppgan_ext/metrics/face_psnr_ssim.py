"""PSNR / SSIM under the Face-SPARNet evaluation protocol.

Face-SPARNet (Chen et al., 2020) reports face super-resolution scores
(e.g. Helen x8: 27.43 dB / 0.82) computed on the luma channel only:

* RGB uint8 -> Y with the MATLAB ``rgb2ycbcr`` coefficients
  ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255``, then **truncated**
  (not rounded) to uint8;
* PSNR ``10 log10(255^2 / MSE)`` over the whole Y image (no border crop),
  ``inf`` for identical images;
* SSIM as scikit-image computes it with ``gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False`` on uint8 input (data range 255):
  an 11-tap Gaussian (truncated at 3.5 sigma), 'reflect' (edge-repeating)
  boundary, K1=0.01, K2=0.03, population covariances, and the mean taken
  over the map with a 5-pixel strip removed on every side.

Per-image scores are averaged over the evaluation set, as the reference
script does.
"""

import numpy as np
import paddle
from ppgan.metrics.builder import METRICS

from ..config import ConfigError
from ..registry import register

_Y_COEFFS = np.array([65.481, 128.553, 24.966]) / 255.0
_SIGMA = 1.5
_RADIUS = int(3.5 * _SIGMA + 0.5)  # 5 -> 11-tap window
_K1, _K2, _DATA_RANGE = 0.01, 0.03, 255.0


def rgb_to_y_uint8(img):
    """HWC RGB image with values in [0, 255] -> HxW uint8 luma (truncated)."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(
            f"expected an HxWx3 RGB image, got an array of shape {img.shape}")
    luma = 16 + np.matmul(img, _Y_COEFFS)
    return luma.astype(np.uint8)


def _check_pair(img1, img2):
    img1, img2 = np.asarray(img1), np.asarray(img2)
    if img1.shape != img2.shape:
        raise ValueError(
            f"img1 and img2 must have the same shape, got {img1.shape} and "
            f"{img2.shape}")
    return img1, img2


def _crop(img, border):
    if border < 0:
        raise ValueError(f"crop_border must be >= 0, got {border}")
    return img[border:img.shape[0] - border, border:img.shape[1] - border]


def face_psnr(img1, img2, crop_border=0):
    """PSNR (dB) between two HxWx3 RGB images in [0, 255] on truncated Y.

    Returns ``inf`` when the Y images are identical.
    """
    img1, img2 = _check_pair(img1, img2)
    y1 = _crop(rgb_to_y_uint8(img1), crop_border).astype(np.float64)
    y2 = _crop(rgb_to_y_uint8(img2), crop_border).astype(np.float64)
    mse = np.mean(np.square(y1 - y2))
    if mse == 0:
        return float('inf')
    return float(10 * np.log10(255.0**2 / mse))


def _gaussian_taps():
    x = np.arange(-_RADIUS, _RADIUS + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (x / _SIGMA)**2)
    return taps / taps.sum()


def _blur(img, taps):
    """Separable 'same'-size Gaussian blur with edge-repeating reflection."""
    r = len(taps) // 2
    out = img
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode='symmetric')
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for k, w in enumerate(taps):
            acc += w * np.take(padded, np.arange(k, k + n), axis=axis)
        out = acc
    return out


def ssim_y(y1, y2):
    """Gaussian-weighted SSIM between two HxW luma arrays (data range 255)."""
    y1 = np.asarray(y1, dtype=np.float64)
    y2 = np.asarray(y2, dtype=np.float64)
    win = 2 * _RADIUS + 1
    if min(y1.shape) < win:
        raise ValueError(
            f"SSIM needs images of at least {win}x{win} pixels, got "
            f"{y1.shape[0]}x{y1.shape[1]}")
    taps = _gaussian_taps()
    mu1, mu2 = _blur(y1, taps), _blur(y2, taps)
    var1 = _blur(y1 * y1, taps) - mu1 * mu1
    var2 = _blur(y2 * y2, taps) - mu2 * mu2
    cov = _blur(y1 * y2, taps) - mu1 * mu2
    c1, c2 = (_K1 * _DATA_RANGE)**2, (_K2 * _DATA_RANGE)**2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * cov + c2)) / (
        (mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2))
    return float(_crop(ssim_map, _RADIUS).mean(dtype=np.float64))


def face_ssim(img1, img2, crop_border=0):
    """SSIM between two HxWx3 RGB images in [0, 255] on truncated Y."""
    img1, img2 = _check_pair(img1, img2)
    y1 = _crop(rgb_to_y_uint8(img1), crop_border)
    y2 = _crop(rgb_to_y_uint8(img2), crop_border)
    return ssim_y(y1, y2)


def all_reduce_sums(values):
    """Sum a list of floats over all ranks (identity on a single process)."""
    if paddle.distributed.get_world_size() <= 1:
        return [float(v) for v in values]
    tensor = paddle.to_tensor(np.asarray(values, dtype=np.float64))
    paddle.distributed.all_reduce(tensor)
    return [float(v) for v in tensor.numpy()]


class _FaceMetric(paddle.metric.Metric):
    _score = None  # set by subclasses: fn(img1, img2, crop_border) -> float

    def __init__(self, crop_border=0):
        if not isinstance(crop_border, int) or crop_border < 0:
            raise ConfigError(
                f"crop_border must be a non-negative int, got {crop_border!r}")
        self.crop_border = crop_border
        self.reset()

    def reset(self):
        self.total = 0.0
        self.count = 0

    def update(self, preds, gts, is_seq=False):
        """Add scores of ``preds`` vs ``gts`` (HxWx3 uint8 RGB, or lists).

        With ``is_seq=True`` the whole list counts as one sample whose score
        is the mean over its frames (ppgan's video-model convention).
        """
        if not isinstance(preds, (list, tuple)):
            preds = [preds]
        if not isinstance(gts, (list, tuple)):
            gts = [gts]
        if len(preds) != len(gts):
            raise ValueError(
                f"preds and gts must have the same length, got {len(preds)} "
                f"and {len(gts)}")
        scores = [self._score(p, g, self.crop_border)
                  for p, g in zip(preds, gts)]
        # a score of None: the pair cannot be scored (e.g. no face found)
        scores = [s for s in scores if s is not None]
        if is_seq and scores:
            scores = [float(np.mean(scores))]
        self.total += float(np.sum(scores))
        self.count += len(scores)

    def accumulate(self):
        """Mean per-image score over every rank's samples (0.0 if none)."""
        total, count = all_reduce_sums([self.total, self.count])
        if count == 0:
            return 0.0
        return total / count


@register(METRICS)
class FacePSNR(_FaceMetric):
    """Mean PSNR on truncated MATLAB-Y, as Face-SPARNet reports it.

    Args:
        crop_border: pixels dropped on every side before scoring (the
            reference uses 0).
    """
    _score = staticmethod(face_psnr)

    def name(self):
        return 'FacePSNR'


@register(METRICS)
class FaceSSIM(_FaceMetric):
    """Mean Gaussian-window SSIM on truncated MATLAB-Y, as Face-SPARNet.

    Args:
        crop_border: pixels dropped on every side before scoring (the
            reference uses 0).
    """
    _score = staticmethod(face_ssim)

    def name(self):
        return 'FaceSSIM'
