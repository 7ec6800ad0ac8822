"""Real face photos for tests: scikit-image's LFW subset (25x25 gray)."""
import os

import numpy as np


def lfw_face(i, size):
    """LFW face ``i`` as a ``size`` x ``size`` uint8 RGB image (bicubic)."""
    import skimage.data

    from ppgan_ext.io.images import bicubic_resize
    gray = np.round(skimage.data.lfw_subset()[i] * 255).astype(np.uint8)
    return np.repeat(bicubic_resize(gray[..., None], (size, size)), 3, axis=2)


def write_lfw_faces(folder, indices, size, prefix='lfw_'):
    """Write faces ``indices`` as ``<prefix><i>.png`` into ``folder``."""
    from ppgan_ext.io.images import write_image
    for i in indices:
        write_image(os.path.join(str(folder), f'{prefix}{i:03d}.png'),
                    lfw_face(i, size))
    return str(folder)


# Centres (x, y) of the faces dlib's HOG detector finds in the two real
# photos with one face that scikit-image and matplotlib ship.
ASTRONAUT_FACE = (220.5, 121.5)
GRACE_HOPPER_FACE = (273.5, 232.5)


def astronaut():
    import skimage.data
    return skimage.data.astronaut()


def grace_hopper():
    """matplotlib's sample photo of Grace Hopper (600x512 RGB)."""
    import matplotlib

    from ppgan_ext.io.images import read_image
    return read_image(os.path.join(matplotlib.get_data_path(), 'sample_data',
                                   'grace_hopper.jpg'))


def rotated(img, centre, angle, scale=1.0, size=None):
    """``img`` turned ``angle`` degrees (counter-clockwise) and scaled about
    ``centre``, which lands in the middle of a ``size`` (w, h) output
    (default: ``img``'s size); borders repeat the edge pixels. Returns ``(image,
    matrix)``, the matrix taking ``img`` pixels to output pixels."""
    import cv2
    h, w = img.shape[:2]
    ow, oh = size or (w, h)
    m = cv2.getRotationMatrix2D(tuple(map(float, centre)), angle, scale)
    m[:, 2] += [(ow - 1) / 2 - centre[0], (oh - 1) / 2 - centre[1]]
    out = cv2.warpAffine(img, m, (ow, oh), flags=cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_REPLICATE)
    return out, m


def group_photo():
    """A 'group photo' of real faces: the astronaut and Grace Hopper at
    several sizes and tilts, 20 LFW faces, and a cat (a non-face), on a
    coffee-table photo. Returns ``(uint8 RGB image, face centres (x, y))``.
    """
    import cv2
    import skimage.data
    canvas = cv2.resize(skimage.data.coffee(), (1200, 800),
                        interpolation=cv2.INTER_CUBIC)
    centres = []
    tiles = [(astronaut(), ASTRONAUT_FACE, 0.5, 0, (0, 0), (200, 220)),
             (astronaut(), ASTRONAUT_FACE, 0.8, 20, (200, 0), (260, 260)),
             (astronaut()[:, ::-1], (511 - ASTRONAUT_FACE[0],
                                     ASTRONAUT_FACE[1]),
              0.45, -10, (460, 0), (160, 200)),
             (grace_hopper(), GRACE_HOPPER_FACE, 0.4, 0, (620, 0),
              (160, 200)),
             (grace_hopper(), GRACE_HOPPER_FACE, 0.7, -15, (780, 0),
              (240, 260)),
             (grace_hopper()[:, ::-1], (511 - GRACE_HOPPER_FACE[0],
                                        GRACE_HOPPER_FACE[1]),
              0.55, 12, (1020, 0), (180, 220))]
    for img, face, scale, angle, (x, y), size in tiles:
        tile, _ = rotated(np.ascontiguousarray(img), face, angle, scale, size)
        canvas[y:y + size[1], x:x + size[0]] = tile
        centres.append((x + (size[0] - 1) / 2, y + (size[1] - 1) / 2))
    for k in range(20):
        side = 64 + (k * 7) % 40
        x, y = 10 + (k % 10) * 112, 300 + (k // 10) * 120
        canvas[y:y + side, x:x + side] = lfw_face(k, side)
        centres.append((x + side / 2, y + side / 2))
    cat = cv2.resize(skimage.data.chelsea(), (300, 225))
    canvas[560:785, 880:1180] = cat
    return canvas, centres
