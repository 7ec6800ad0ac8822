"""Reading and writing images with errors that name the file, for every
dataset and tool; Pillow's bicubic resize (MATLAB-like when shrinking), the
one every part of the plugin uses.

Decoding goes through Pillow because it *detects* truncated PNG/JPEG files
(OpenCV decodes them partially with only a warning on stderr). Policy for
unusual inputs:

* grayscale (L, 1-bit, 16-bit I;16) -> replicated to 3 channels (or kept as
  one channel with ``channels=1``);
* 16-bit -> scaled to 8-bit (gray: ``x / 257``; RGB: Pillow keeps the high
  byte);
* RGBA / LA / palette with transparency -> alpha dropped (composited on
  black is *not* done: the colour channels are kept as stored);
* anything Pillow cannot open or fully decode -> :class:`ImageReadError`.
"""
import os

import cv2
import numpy as np
from PIL import Image, ImageFile

from ..errors import OutputPathError, UserError

__all__ = ['ImageReadError', 'read_image', 'image_size', 'IMAGE_EXTENSIONS',
           'list_images', 'bicubic_resize', 'write_image']

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.tif', '.tiff',
                    '.webp')

# Never accept truncated files silently, whatever another library set.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageReadError(UserError, ValueError):
    """An image file is missing, empty, truncated or not an image."""


def _open(path):
    if not os.path.isfile(path):
        raise ImageReadError(f'{path}: no such image file')
    if os.path.getsize(path) == 0:
        raise ImageReadError(f'{path}: image file is empty (0 bytes)')
    try:
        return Image.open(path)
    except Exception as e:  # Pillow raises several types here
        raise ImageReadError(f'{path}: not a readable image ({e})') from e


def image_size(path):
    """``(width, height)`` from the file header (cheap; no full decode)."""
    with _open(path) as im:
        return im.size


def _to_array(im, path):
    mode = im.mode
    if mode in ('I;16', 'I;16B', 'I;16L', 'I'):
        arr = np.asarray(im, dtype=np.float64)
        arr = np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8)
        return arr[..., None]
    if mode == '1' or mode == 'L':
        return np.asarray(im.convert('L'), dtype=np.uint8)[..., None]
    if mode == 'LA':
        return np.asarray(im, dtype=np.uint8)[..., :1]
    if mode in ('RGB', 'RGBA', 'P', 'CMYK', 'YCbCr', 'RGBX', 'PA'):
        return np.asarray(im.convert('RGB'), dtype=np.uint8)
    if mode.startswith('I;16') or mode == 'F':
        raise ImageReadError(f'{path}: unsupported pixel format {mode}')
    try:
        return np.asarray(im.convert('RGB'), dtype=np.uint8)
    except Exception as e:
        raise ImageReadError(f'{path}: unsupported pixel format {mode} '
                             f'({e})') from e


def read_image(path, channels=3, to_rgb=True):
    """Decode ``path`` to a ``uint8`` HWC array (RGB, or BGR if not ``to_rgb``).

    ``channels`` is 3 (gray replicated) or 1 (colour converted to luma).
    Raises :class:`ImageReadError` naming ``path`` on any failure.
    """
    path = os.fspath(path)
    im = _open(path)
    try:
        with im:
            try:
                im.load()
            except Exception as e:
                raise ImageReadError(f'{path}: image data is truncated or '
                                     f'corrupt ({e})') from e
            arr = _to_array(im, path)
    except ImageReadError:
        raise
    except Exception as e:
        raise ImageReadError(f'{path}: cannot decode image ({e})') from e
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageReadError(f'{path}: image has no pixels')
    if channels == 3 and arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif channels == 1 and arr.shape[2] == 3:
        y = arr.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        arr = np.clip(np.round(y), 0, 255).astype(np.uint8)[..., None]
    elif channels not in (1, 3):
        raise ValueError(f'channels must be 1 or 3, got {channels}')
    if not to_rgb and arr.shape[2] == 3:
        arr = arr[..., ::-1]
    return np.ascontiguousarray(arr)


def _is_image_name(name):
    return name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith('.')


def list_images(folder, what='image folder', recursive=False):
    """Sorted image paths in ``folder`` (and, if ``recursive``, in its
    non-hidden sub-folders); errors name the folder."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ImageReadError(f'{what} {folder}: no such folder')
    if recursive:
        paths = []
        for root, dirs, names in os.walk(folder, followlinks=True):
            dirs[:] = [d for d in dirs if not d.startswith('.')]
            paths += [os.path.join(root, n) for n in names
                      if _is_image_name(n)]
        paths.sort()
    else:
        paths = sorted(os.path.join(folder, n) for n in os.listdir(folder)
                       if _is_image_name(n))
    if not paths:
        raise ImageReadError(f'{what} {folder}: contains no images '
                             f'({", ".join(IMAGE_EXTENSIONS)})')
    return paths


def bicubic_resize(img, size):
    """Resize to ``size=(width, height)`` with Pillow's bicubic filter."""
    squeeze = img.ndim == 3 and img.shape[2] == 1
    pil = Image.fromarray(img[..., 0] if squeeze else img)
    out = np.asarray(pil.resize(tuple(int(s) for s in size), Image.BICUBIC))
    return out[..., None] if squeeze else out


def write_image(path, img_rgb):
    """Write an RGB (or 1-channel) uint8 image atomically (temp + rename);
    a path that cannot be written raises :class:`OutputPathError`."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    tmp = os.path.join(folder, f'.{stem}.tmp{ext}')
    bgr = img_rgb[..., ::-1] if img_rgb.shape[2] == 3 else img_rgb
    try:
        os.makedirs(folder or '.', exist_ok=True)
        if not cv2.imwrite(tmp, np.ascontiguousarray(bgr)):
            raise OutputPathError(f'{path}: could not write image')
        os.replace(tmp, path)
    except OSError as e:
        if not isinstance(e, OutputPathError):
            raise OutputPathError(f'{path}: cannot write the image '
                                  f'({e.strerror or e})') from None
        raise
    finally:  # interrupted or failed: leave nothing behind
        if os.path.exists(tmp):
            os.remove(tmp)
