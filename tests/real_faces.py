"""Real face photos for tests: scikit-image's LFW subset (25x25 gray)."""
import os

import numpy as np


def lfw_face(i, size):
    """LFW face ``i`` as a ``size`` x ``size`` uint8 RGB image (bicubic)."""
    import skimage.data

    from ppgan_ext.datasets.degradations import bicubic_resize
    gray = np.round(skimage.data.lfw_subset()[i] * 255).astype(np.uint8)
    return np.repeat(bicubic_resize(gray[..., None], (size, size)), 3, axis=2)


def write_lfw_faces(folder, indices, size, prefix='lfw_'):
    """Write faces ``indices`` as ``<prefix><i>.png`` into ``folder``."""
    from ppgan_ext.datasets.pairs_writer import write_image
    for i in indices:
        write_image(os.path.join(str(folder), f'{prefix}{i:03d}.png'),
                    lfw_face(i, size))
    return str(folder)
