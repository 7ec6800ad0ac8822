"""Faces with low-quality partners made on the fly (SPARNetHD's FFHQ recipe).

Each HQ face is resized to ``size`` x ``size`` and, with probability 0.3,
turned gray (HQ and LQ alike). The LQ image is then made from it by, in order:

1. with p=0.5 one blur of: Gaussian (sigma 3..15), box (k 3..15), median
   (k 3..15, odd), motion (length 5..25, random angle and direction);
2. resizing to s x s, s uniform in [32, 128), with nearest, bilinear, area
   or bicubic interpolation chosen at random;
3. with p=0.2 additive Gaussian noise, sigma uniform in [0, 25.5] (0..255
   scale), independent per channel half of the time;
4. with p=0.7 JPEG compression, quality 36..90 (imgaug's compression 10..65);
5. bicubic resizing back to ``size``.

Sizes (blur extents, the intermediate size) are given for 512 x 512 faces
and scale with ``size`` (a 64 px face is blurred and shrunk 8x less in
absolute pixels). Both images are returned as CHW float32 in [-1, 1] under
``lq``/``gt`` with ``lq_path``/``gt_path``.

``seed`` fixes the degradation of every index (validation sets); without it
each read draws new degradations from numpy's global generator (seeded by
``--seed``) and the data-loader worker id. With ``lq_folder`` the LQ images
are read from disk instead, paired with the HQ ones by file stem (for
evaluating on a fixed, already degraded test set).
"""
import os

import cv2
import numpy as np
import paddle
from paddle.io import Dataset
from ppgan.datasets.builder import DATASETS

from ..io.images import read_image
from ..io.visuals import to_model_range
from ..registry import register
from .base import DatasetError, checked_images

__all__ = ['FFHQDegradationDataset', 'degrade_face', 'motion_blur_kernel']

REFERENCE_SIZE = 512
_DOWN_INTERPOLATIONS = (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_AREA,
                        cv2.INTER_CUBIC)


def _resize(img, size, interpolation=None):
    h, w = img.shape[:2]
    if (h, w) == (size, size):
        return img
    if interpolation is None:
        interpolation = cv2.INTER_AREA if size < min(h, w) else cv2.INTER_CUBIC
    out = cv2.resize(img, (size, size), interpolation=interpolation)
    return out.reshape(size, size, -1) if img.ndim == 3 else out


def _center_square(img):
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return np.ascontiguousarray(img[top:top + s, left:left + s])


def to_gray3(img):
    """RGB uint8 -> gray replicated to three channels."""
    gray = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    return np.repeat(gray[..., None], 3, axis=2)


def motion_blur_kernel(length, angle, direction):
    """A ``length`` x ``length`` line kernel at ``angle`` degrees.

    ``direction`` in [-1, 1] tilts the weights along the line (0: uniform,
    +-1: all weight towards one end), as imgaug's MotionBlur.
    """
    length = max(int(length), 1)
    d = (float(direction) + 1.0) / 2.0
    kernel = np.zeros((length, length), np.float32)
    kernel[:, length // 2] = np.linspace(d, 1.0 - d, num=length)
    c = (length - 1) / 2.0
    rot = cv2.getRotationMatrix2D((c, c), float(angle), 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length),
                            flags=cv2.INTER_LINEAR)
    total = kernel.sum()
    if total <= 0:
        kernel[length // 2, length // 2] = 1.0
        total = 1.0
    return kernel / total


def _odd(k):
    k = max(int(round(k)), 1)
    return k if k % 2 else k + 1


def _blur(img, rng, f):
    kind = rng.integers(4)
    if kind == 0:
        sigma = rng.uniform(3.0, 15.0) * f
        return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                borderType=cv2.BORDER_REFLECT_101)
    if kind == 1:
        k = max(int(round(rng.integers(3, 16) * f)), 1)
        return cv2.blur(img, (k, k))
    if kind == 2:
        k = _odd(_odd(rng.integers(3, 16)) * f)
        return cv2.medianBlur(img, k) if k > 1 else img
    length = max(int(round(rng.integers(5, 26) * f)), 1)
    kernel = motion_blur_kernel(length, rng.uniform(0.0, 360.0),
                                rng.uniform(-1.0, 1.0))
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def _jpeg(img, quality):
    ok, buf = cv2.imencode('.jpg', cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                           [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR),
                        cv2.COLOR_BGR2RGB)


def degrade_face(hq, rng, blur_prob=0.5, lq_size_range=(32, 128),
                 noise_prob=0.2, noise_max=25.5, jpeg_prob=0.7,
                 jpeg_quality=(36, 90)):
    """SPARNetHD's degradation of an HQ uint8 RGB square face (see module doc).

    ``lq_size_range`` is in pixels of a 512 face (half-open, as
    ``np.random.randint``); it and the blur extents scale with the face size.
    Returns a uint8 RGB image of ``hq``'s size.
    """
    size = hq.shape[0]
    f = size / REFERENCE_SIZE
    img = np.ascontiguousarray(hq)
    if rng.random() < blur_prob:
        img = _blur(img, rng, f)
    lo = max(int(round(lq_size_range[0] * f)), 1)
    hi = max(int(round(lq_size_range[1] * f)), lo + 1)
    small = int(rng.integers(lo, hi))
    img = cv2.resize(img, (small, small),
                     interpolation=_DOWN_INTERPOLATIONS[rng.integers(4)])
    if rng.random() < noise_prob:
        sigma = rng.uniform(0.0, noise_max)
        per_channel = rng.random() < 0.5
        shape = img.shape if per_channel else img.shape[:2] + (1, )
        noisy = img.astype(np.float32) + rng.normal(0.0, sigma, shape)
        img = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
    if rng.random() < jpeg_prob:
        img = _jpeg(img, rng.integers(jpeg_quality[0], jpeg_quality[1] + 1))
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)


@register(DATASETS)
class FFHQDegradationDataset(Dataset):
    """HQ faces with LQ partners degraded on the fly, or read from a folder.

    Files are listed and their headers checked when the dataset is built
    (:class:`DatasetError` naming the folder/file); a file that fails to
    decode later raises :class:`ImageReadError` naming it (images are read
    here, not through ppgan's preprocess pipeline, so nothing wraps it).

    Args:
        gt_folder: folder of HQ faces (FFHQ: ``images1024x1024`` or a
            pre-resized ``images512x512``).
        size: output side; faces are resized (non-square ones centre-cropped
            first) to ``size`` x ``size``.
        lq_folder: optional folder of already degraded faces paired by file
            stem; then no synthetic degradation is applied (LQ images of
            another size are bicubic-resized to ``size``).
        seed: fixes the degradation of each index (validation).
        gray_prob, blur_prob, noise_prob, jpeg_prob: probabilities of the
            steps (reference: 0.3, 0.5, 0.2, 0.7).
        lq_size_range: [low, high) side of the intermediate LQ image for a
            512 face (reference [32, 128)); scaled by ``size / 512``.
        noise_max: largest noise sigma on the 0..255 scale (reference 25.5).
        jpeg_quality: [low, high] JPEG quality (reference 36..90).
    """

    value_range = (-1., 1.)

    def __init__(self, gt_folder, size=512, lq_folder=None, seed=None,
                 gray_prob=0.3, blur_prob=0.5, lq_size_range=(32, 128),
                 noise_prob=0.2, noise_max=25.5, jpeg_prob=0.7,
                 jpeg_quality=(36, 90)):
        super().__init__()
        if int(size) != size or size < 8:
            raise DatasetError(f'FFHQDegradationDataset: size={size} must be '
                               'an integer >= 8')
        lo, hi = lq_size_range
        if not 0 < lo < hi:
            raise DatasetError(f'FFHQDegradationDataset: lq_size_range='
                               f'{list(lq_size_range)} must satisfy '
                               '0 < low < high')
        q_lo, q_hi = jpeg_quality
        if not 1 <= q_lo <= q_hi <= 100:
            raise DatasetError(f'FFHQDegradationDataset: jpeg_quality='
                               f'{list(jpeg_quality)} must be within 1..100')
        for name, p in (('gray_prob', gray_prob), ('blur_prob', blur_prob),
                        ('noise_prob', noise_prob), ('jpeg_prob', jpeg_prob)):
            if not 0.0 <= p <= 1.0:
                raise DatasetError(f'FFHQDegradationDataset: {name}={p} must '
                                   'be in [0, 1]')
        self.size = int(size)
        self.seed = seed
        self.gray_prob = gray_prob
        self.degrade_kw = dict(blur_prob=blur_prob,
                               lq_size_range=(lo, hi), noise_prob=noise_prob,
                               noise_max=noise_max, jpeg_prob=jpeg_prob,
                               jpeg_quality=(q_lo, q_hi))
        self.gt_paths = checked_images(gt_folder, 'HQ (gt_folder)')
        self.lq_paths = None
        if lq_folder:
            self.lq_paths = self._pair(lq_folder)

    def _pair(self, lq_folder):
        lq = checked_images(lq_folder, 'LQ (lq_folder)')
        by_stem = {}
        for p in lq:
            by_stem.setdefault(os.path.splitext(os.path.basename(p))[0],
                               []).append(p)
        pairs = []
        for gt in self.gt_paths:
            stem = os.path.splitext(os.path.basename(gt))[0]
            found = by_stem.pop(stem, None)
            if found is None:
                raise DatasetError(f'{gt}: no LQ partner named {stem}.* in '
                                   f'{lq_folder}')
            if len(found) > 1:
                raise DatasetError(f'{lq_folder}: several LQ images named '
                                   f'{stem}.*: {found}')
            pairs.append(found[0])
        if by_stem:
            extra = sorted(p for ps in by_stem.values() for p in ps)
            raise DatasetError(f'{extra[0]}: LQ image has no HQ partner in '
                               f'the gt_folder ({len(extra)} such file(s))')
        return pairs

    def __len__(self):
        return len(self.gt_paths)

    def _rng(self, idx):
        if self.seed is not None:
            return np.random.default_rng([int(self.seed), idx])
        info = paddle.io.get_worker_info()
        worker = info.id if info is not None else 0
        return np.random.default_rng(
            [int(np.random.randint(2**31)), worker, idx])

    def _load(self, path):
        return _resize(_center_square(read_image(path)), self.size)

    def __getitem__(self, idx):
        gt_path = self.gt_paths[idx]
        hq = self._load(gt_path)
        if self.lq_paths is not None:
            lq_path = self.lq_paths[idx]
            lq = self._load(lq_path)
        else:
            lq_path = gt_path
            rng = self._rng(idx)
            if rng.random() < self.gray_prob:
                hq = to_gray3(hq)
            lq = degrade_face(hq, rng, **self.degrade_kw)
        return {'lq': to_model_range(lq, self.value_range),
                'gt': to_model_range(hq, self.value_range),
                'lq_path': lq_path, 'gt_path': gt_path}
