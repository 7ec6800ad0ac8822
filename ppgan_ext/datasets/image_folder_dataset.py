"""Unpaired images from a folder tree, for unconditional GANs (e.g. PGAN).

Every image is decoded, centre-cropped to ``crop_size`` (CelebA's aligned
178x218 faces are usually cropped to 178x178), resized to ``size`` and
returned as a CHW float32 array in [-1, 1] under the key ``img``. The dataset
always serves the final resolution; a progressive model down-samples to the
scale it is training.

Bad files: when the dataset is built, every file's header is read (cheap, no
decode) and a folder holding unreadable files or images smaller than the
crop fails with :class:`~ppgan_ext.datasets.sr_folder_dataset.DatasetError`
naming the first bad file and how many there are. A file that is truncated
after a valid header is caught on decode with an
:class:`~ppgan_ext.io.images.ImageReadError` naming it.
"""
import os

import cv2
import numpy as np
from paddle.io import Dataset
from ppgan.datasets.builder import DATASETS

from ..config import ConfigError
from ..io.images import ImageReadError, image_size, list_images, read_image
from ..io.visuals import to_model_range
from ..registry import register
from .sr_folder_dataset import DatasetError

__all__ = ['ImageFolderDataset', 'list_images_recursive', 'center_crop']


def list_images_recursive(folder):
    """Sorted image paths anywhere under ``folder`` (hidden ones skipped)."""
    try:
        return list_images(folder, 'image folder', recursive=True)
    except ImageReadError as e:
        raise DatasetError(str(e)) from None


def center_crop(img, crop_size):
    """The central ``crop_size`` (int or (h, w)) window of an HWC image."""
    if isinstance(crop_size, int):
        crop_size = (crop_size, crop_size)
    ch, cw = crop_size
    h, w = img.shape[:2]
    if ch > h or cw > w:
        raise ValueError(f'crop {ch}x{cw} is larger than the image {h}x{w}')
    top, left = (h - ch) // 2, (w - cw) // 2
    return img[top:top + ch, left:left + cw]


def _check_size_arg(name, value):
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) and v > 0 for v in value)):
        return tuple(value)
    raise ConfigError(f'{name} must be a positive int or [height, width], '
                      f'got {value!r}')


@register(DATASETS)
class ImageFolderDataset(Dataset):
    """Every image under a folder (recursive), cropped, resized, in [-1, 1].

    Items are ``{'img': float32 (C, size, size), 'img_path': str}``.

    Args:
        dataroot (str): folder searched recursively for images.
        size (int): side of the served square images (the final GAN
            resolution, e.g. 128).
        crop_size (int | [h, w] | None): centre crop applied before the
            resize (178 for aligned CelebA); None keeps the whole image
            (non-square images are then stretched to a square).
        channels (int): 3 (grey images replicated) or 1 (colour to luma).
        random_hflip (bool): mirror each image with probability 1/2.
        check_files (bool): read every file's header when the dataset is
            built (see module doc); False skips that scan for huge folders,
            a bad file then fails when it is read.
        max_images (int | None): use only the first N images (sorted).
    """

    value_range = (-1., 1.)

    def __init__(self, dataroot, size, crop_size=None, channels=3,
                 random_hflip=False, check_files=True, max_images=None):
        super().__init__()
        self.size = _check_size_arg('size', size)
        if not isinstance(self.size, int):
            raise ConfigError(f'size must be an int (square images), got '
                              f'{size!r}')
        self.crop_size = (None if crop_size is None else
                          _check_size_arg('crop_size', crop_size))
        if channels not in (1, 3):
            raise ConfigError(f'channels must be 1 or 3, got {channels!r}')
        self.channels = channels
        self.random_hflip = bool(random_hflip)
        self.dataroot = os.fspath(dataroot)
        paths = list_images_recursive(self.dataroot)
        if max_images is not None:
            if not isinstance(max_images, int) or max_images < 1:
                raise ConfigError(f'max_images must be a positive int, got '
                                  f'{max_images!r}')
            paths = paths[:max_images]
        if check_files:
            self._check(paths)
        self.paths = paths

    def _check(self, paths):
        bad = []
        for path in paths:
            try:
                w, h = image_size(path)
            except ImageReadError as e:
                bad.append(str(e))
                continue
            if self.crop_size is not None:
                ch, cw = ((self.crop_size, self.crop_size) if isinstance(
                    self.crop_size, int) else self.crop_size)
                if ch > h or cw > w:
                    bad.append(f'{path}: image {w}x{h} (WxH) is smaller than '
                               f'crop_size {ch}x{cw} (HxW)')
        if bad:
            raise DatasetError(
                f'image folder {self.dataroot}: {len(bad)} bad file(s) of '
                f'{len(paths)}; first: {bad[0]}')

    def __len__(self):
        return len(self.paths)

    def load(self, path, flip=False):
        """Decode, crop, resize and normalise one file (CHW float32)."""
        img = read_image(path, channels=self.channels)
        if self.crop_size is not None:
            try:
                img = center_crop(img, self.crop_size)
            except ValueError as e:
                raise ImageReadError(f'{path}: {e}') from None
        h, w = img.shape[:2]
        if (h, w) != (self.size, self.size):
            shrink = h >= self.size and w >= self.size
            img = cv2.resize(img, (self.size, self.size),
                             interpolation=cv2.INTER_AREA if shrink else
                             cv2.INTER_CUBIC)
            if img.ndim == 2:
                img = img[..., None]
        if flip:
            img = img[:, ::-1]
        return to_model_range(img, self.value_range)

    def __getitem__(self, idx):
        path = self.paths[idx]
        flip = self.random_hflip and np.random.rand() < 0.5
        return {'img': self.load(path, flip), 'img_path': path}
