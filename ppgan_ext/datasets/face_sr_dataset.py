"""Face super-resolution data for SPARNet: LR made on the fly from HR faces.

Two modes:

* HR folder (training and evaluation with ground truth): each face is
  centre-cropped to a square and resized to ``gt_size`` (128); the input is
  the face bicubic-downscaled by ``scale`` (8 -> 16x16) and bicubic-upscaled
  to ``input_size`` (128), as Face-SPARNet's CelebA loader does. With
  ``augment=True`` (training) a random horizontal flip and the random zoom
  crop (:func:`~.face_transforms.random_scale_crop`) are applied to the HR
  face first.
* LR folder (``lr_only=True``; inputs without ground truth, e.g. Helen's
  16x16 LR faces): each image is bicubic-resized to ``input_size`` and no
  ``gt`` is returned; the model then only saves its outputs.

Samples are dicts with ``lq`` (and ``gt``), CHW float32 in [-1, 1] (the
range SPARNet works in, ``SPARNetModel.value_range``), plus
``lq_path``/``gt_path``.
"""
import numpy as np
import paddle
from ppgan.datasets.builder import DATASETS

from ..io.images import read_image
from ..io.visuals import to_model_range
from ..registry import register
from .base import ClearErrorsMixin, DatasetError, checked_images
from .face_transforms import (hflip, lr_from_hr, random_scale_crop,
                              square_resize)

__all__ = ['FaceSRDataset']


def _pair(value, name):
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise DatasetError(f'{name}: expected two numbers, got {value!r}')
    return lo, hi


class _Base(paddle.io.Dataset):
    def __getitem__(self, idx):
        return self.get_item(idx)


@register(DATASETS)
class FaceSRDataset(ClearErrorsMixin, _Base):
    """Faces for SPARNet-style SR (see module docstring).

    Args:
        folder: folder of HR faces (or of LR inputs with ``lr_only``).
        gt_size: HR / output size (square).
        scale: down-scaling factor of the LR face (gt_size / LR size).
        input_size: size the LR face is bicubic-upscaled to (default
            ``gt_size``; the network's ``in_size``).
        augment: random horizontal flip + random zoom crop (training).
        zoom: zoom-factor range of the random zoom crop.
        flip_prob: probability of the horizontal flip when augmenting.
        lr_only: ``folder`` holds LR inputs; no ground truth.
    """

    value_range = (-1., 1.)

    def __init__(self, folder, gt_size=128, scale=8, input_size=None,
                 augment=False, zoom=(1.0, 1.3), flip_prob=0.5,
                 lr_only=False):
        super().__init__()
        self.folder = str(folder)
        self.gt_size, self.scale = int(gt_size), int(scale)
        self.input_size = int(input_size or gt_size)
        if self.scale < 1 or self.gt_size % self.scale:
            raise DatasetError(f'scale={scale} must be a positive divisor of '
                               f'gt_size={gt_size}')
        self.augment, self.lr_only = bool(augment), bool(lr_only)
        self.zoom = _pair(zoom, 'zoom')
        self.flip_prob = float(flip_prob)
        what = 'LR input folder' if lr_only else 'HR face folder'
        self.paths = checked_images(self.folder, what)

    def __len__(self):
        return len(self.paths)

    def to_tensor(self, img):
        """uint8 HWC RGB -> float32 CHW in ``value_range``."""
        return to_model_range(img, self.value_range)

    def hr_face(self, path):
        """The HR face of ``path`` after resizing (and augmentation)."""
        hr = square_resize(read_image(path), self.gt_size)
        if self.augment:
            if np.random.uniform() < self.flip_prob:
                hr = hflip(hr)
            hr = random_scale_crop(hr, self.zoom)
        return hr

    def get_item(self, idx):
        path = self.paths[idx]
        if self.lr_only:
            lr = square_resize(read_image(path), self.input_size)
            return {'lq': self.to_tensor(lr), 'lq_path': path}
        hr = self.hr_face(path)
        _, lr_up = lr_from_hr(hr, self.scale, self.input_size)
        return {'lq': self.to_tensor(lr_up), 'gt': self.to_tensor(hr),
                'lq_path': path, 'gt_path': path}
