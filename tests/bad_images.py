"""Writers of the bad and unusual image files every image reader is tested on.

``BAD_KINDS`` must be refused naming the file; ``ODD_KINDS`` are valid and
must decode to :func:`expected_rgb`.
"""
import cv2
import numpy as np

BAD_KINDS = ('empty', 'truncated_png', 'truncated_jpg', 'text')
ODD_KINDS = ('one_pixel', 'gray', 'rgba', 'gray16', 'rgb16')
ALL_KINDS = BAD_KINDS + ODD_KINDS


def good_rgb(h=24, w=24, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(h, w, 3) * 255).astype(np.uint8)


def write_kind(path_stem, kind, size=None):
    """Write ``path_stem`` + a suitable extension; returns the path.

    Images are ``size`` x ``size`` (default 24; truncated files 64 unless
    ``size`` is given); ``one_pixel`` is always 1 x 1. The pixels are
    :func:`good_rgb` written by OpenCV, i.e. stored as BGR.
    """
    img = good_rgb(size or 24, size or 24)
    if kind == 'empty':
        path = f'{path_stem}.png'
        open(path, 'wb').close()
    elif kind in ('truncated_png', 'truncated_jpg'):
        ext = '.png' if kind == 'truncated_png' else '.jpg'
        ok, buf = cv2.imencode(ext, good_rgb(size or 64, size or 64))
        path = f'{path_stem}{ext}'
        open(path, 'wb').write(buf.tobytes()[:len(buf) // 2])
    elif kind == 'text':
        path = f'{path_stem}.png'
        open(path, 'w').write('this is not an image\n')
    elif kind == 'one_pixel':
        path = f'{path_stem}.png'
        cv2.imwrite(path, img[:1, :1])
    elif kind == 'gray':
        path = f'{path_stem}.png'
        cv2.imwrite(path, img[..., 0])
    elif kind == 'rgba':
        path = f'{path_stem}.png'
        cv2.imwrite(path, np.dstack([img, np.full(img.shape[:2], 128, np.uint8)]))
    elif kind == 'gray16':
        path = f'{path_stem}.png'
        cv2.imwrite(path, img[..., 0].astype(np.uint16) * 257)
    elif kind == 'rgb16':
        path = f'{path_stem}.png'
        cv2.imwrite(path, img.astype(np.uint16) * 257)
    else:
        raise ValueError(kind)
    return path


def expected_rgb(kind, size=24, out=None):
    """What ``read_image`` must return for an ODD kind written at ``size``:
    uint8 RGB, gray replicated, alpha dropped, 16 bit scaled to 8.

    ``out``: for ``one_pixel``, the side it is resized to (any resize of one
    pixel is that pixel everywhere).
    """
    img = good_rgb(size, size)
    if kind == 'one_pixel':
        rgb = img[:1, :1, ::-1]
        return np.tile(rgb, (out, out, 1)) if out else rgb.copy()
    if kind in ('gray', 'gray16'):
        return np.repeat(img[..., :1], 3, axis=2)
    if kind in ('rgba', 'rgb16'):
        return np.ascontiguousarray(img[..., ::-1])
    raise ValueError(f'{kind} is not an ODD kind')
