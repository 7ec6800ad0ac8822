"""Writers of the bad and unusual image files every image reader is tested on."""
import cv2
import numpy as np

BAD_KINDS = ('empty', 'truncated_png', 'truncated_jpg', 'text')
ODD_KINDS = ('one_pixel', 'gray', 'rgba', 'gray16', 'rgb16')


def good_rgb(h=24, w=24, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(h, w, 3) * 255).astype(np.uint8)


def write_kind(path_stem, kind):
    """Write ``path_stem`` + a suitable extension; returns the path."""
    img = good_rgb()
    if kind == 'empty':
        path = f'{path_stem}.png'
        open(path, 'wb').close()
    elif kind in ('truncated_png', 'truncated_jpg'):
        ext = '.png' if kind == 'truncated_png' else '.jpg'
        ok, buf = cv2.imencode(ext, good_rgb(64, 64))
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
